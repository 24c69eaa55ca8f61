import { describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createUpdatesService, type Updater } from '../../../src-main/services/updates';
import type { UpdateState } from '../../../src-shared/ipc/services/updates';

function recordingUpdater(found: { version: string } | null) {
  const calls: string[] = [];
  const updater: Updater = {
    async check() {
      calls.push('check');
      return found;
    },
    async download(onPercent) {
      calls.push('download');
      onPercent(50);
      onPercent(100);
    },
    quitAndInstall() {
      calls.push('install');
    },
  };
  return { updater, calls };
}

function service(updater: Updater | undefined, enabled = { value: true, managed: false }) {
  const states: UpdateState[] = [];
  const svc = createUpdatesService({
    currentVersion: '0.1.0',
    updater,
    enabled: () => enabled,
    logger: createLogger({ sinks: [memorySink()] }),
    onChange: (s) => states.push(s),
  });
  return { svc, states };
}

describe('updates', () => {
  it('checks without downloading, and downloads and installs only when asked', async () => {
    const { updater, calls } = recordingUpdater({ version: '0.2.0' });
    const { svc, states } = service(updater);
    expect(await svc.handlers.check()).toMatchObject({ status: 'available', availableVersion: '0.2.0' });
    expect(calls).toEqual(['check']);
    expect(await svc.handlers.download()).toMatchObject({ status: 'ready', downloadPercent: 100 });
    expect(states.map((s) => s.status)).toContain('downloading');
    expect(calls).toEqual(['check', 'download']);
    await svc.handlers.installAndRestart();
    expect(calls).toEqual(['check', 'download', 'install']);
  });

  it('refuses to install before a download finished', async () => {
    const { updater, calls } = recordingUpdater({ version: '0.2.0' });
    const { svc } = service(updater);
    await svc.handlers.check();
    await expect(svc.handlers.installAndRestart()).rejects.toThrow(/No downloaded update/);
    expect(calls).not.toContain('install');
  });

  it('is disabled by policy, says so, and never contacts the feed', async () => {
    const { updater, calls } = recordingUpdater({ version: '0.2.0' });
    const { svc } = service(updater, { value: false, managed: true });
    expect(await svc.handlers.getState()).toMatchObject({ status: 'disabled', managed: true, message: /organization/ });
    await expect(svc.handlers.check()).rejects.toMatchObject({ code: 'POLICY_FORBIDS' });
    svc.startBackgroundChecks(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]);
  });

  it('is unsupported outside the installed app', async () => {
    const { svc } = service(undefined);
    expect(await svc.handlers.getState()).toMatchObject({ status: 'unsupported' });
  });

  it('reports a failed check as an error state instead of throwing', async () => {
    const failing: Updater = {
      check: async () => {
        throw new Error('feed unreachable');
      },
      download: async () => {},
      quitAndInstall: () => {},
    };
    const { svc } = service(failing);
    expect(await svc.handlers.check()).toMatchObject({ status: 'error', message: /feed unreachable/ });
  });

  it('runs the background check by itself when enabled', async () => {
    const { updater, calls } = recordingUpdater(null);
    const { svc } = service(updater);
    svc.startBackgroundChecks(0);
    await new Promise((r) => setTimeout(r, 20));
    svc.dispose();
    expect(calls).toEqual(['check']);
    expect((await svc.handlers.getState()).status).toBe('not-available');
  });
});
