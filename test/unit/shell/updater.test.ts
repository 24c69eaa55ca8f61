import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { electronUpdaterAdapter, releaseNotesText, type AutoUpdaterLike } from '../../../src-main/shell/updater';

/** Records what the adapter asks of electron-updater and replays its progress events. */
class RecordedAutoUpdater extends EventEmitter implements AutoUpdaterLike {
  autoDownload = true;
  autoInstallOnAppQuit = true;
  calls: string[] = [];
  nextCheck: Awaited<ReturnType<AutoUpdaterLike['checkForUpdates']>> = null;
  async checkForUpdates() {
    this.calls.push('check');
    return this.nextCheck;
  }
  async downloadUpdate() {
    this.calls.push('download');
    this.emit('download-progress', { percent: 12.6 });
    this.emit('download-progress', { percent: 100.2 });
    return [];
  }
  quitAndInstall() {
    this.calls.push('quitAndInstall');
  }
}

describe('electron-updater adapter', () => {
  it('never downloads or installs on its own', () => {
    const auto = new RecordedAutoUpdater();
    electronUpdaterAdapter(auto);
    expect(auto.autoDownload).toBe(false);
    expect(auto.autoInstallOnAppQuit).toBe(false);
    expect(auto.calls).toEqual([]);
  });

  it('reports an available version with plain-text notes, and nothing when up to date', async () => {
    const auto = new RecordedAutoUpdater();
    const updater = electronUpdaterAdapter(auto);
    expect(await updater.check()).toBeNull();
    auto.nextCheck = { isUpdateAvailable: false, updateInfo: { version: '0.1.0' } };
    expect(await updater.check()).toBeNull();
    auto.nextCheck = {
      isUpdateAvailable: true,
      updateInfo: { version: '0.2.0', releaseNotes: '<p>Faster runs &amp; fixes</p><ul><li>one</li></ul>' },
    };
    expect(await updater.check()).toEqual({ version: '0.2.0', releaseNotes: 'Faster runs & fixes\none' });
  });

  it('reports download progress while downloading and stops listening after', async () => {
    const auto = new RecordedAutoUpdater();
    const seen: number[] = [];
    await electronUpdaterAdapter(auto).download((p) => seen.push(p));
    expect(seen).toEqual([13, 100]);
    expect(auto.listenerCount('download-progress')).toBe(0);
  });

  it('installs only when asked', () => {
    const auto = new RecordedAutoUpdater();
    electronUpdaterAdapter(auto).quitAndInstall();
    expect(auto.calls).toEqual(['quitAndInstall']);
  });

  it('turns per-version notes into text', () => {
    expect(
      releaseNotesText([
        { version: '0.2.0', note: 'New' },
        { version: '0.1.1', note: null },
      ]),
    ).toBe('0.2.0\nNew\n\n0.1.1');
    expect(releaseNotesText(null)).toBeUndefined();
    expect(releaseNotesText('<p></p>')).toBeUndefined();
  });
});
