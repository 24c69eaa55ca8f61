import type { Updater } from '../services/updates';

/** The part of electron-updater's autoUpdater this adapter drives; a test passes a recorder. */
export interface AutoUpdaterLike {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  checkForUpdates(): Promise<{
    isUpdateAvailable: boolean;
    updateInfo: {
      version: string;
      releaseNotes?: string | ReadonlyArray<{ version: string; note: string | null }> | null;
    };
  } | null>;
  downloadUpdate(): Promise<unknown>;
  quitAndInstall(): void;
  on(event: 'download-progress', listener: (info: { percent: number }) => void): unknown;
  removeListener(event: 'download-progress', listener: (info: { percent: number }) => void): unknown;
}

/**
 * electron-updater behind the services' Updater seam. Automatic download and install-on-quit are
 * switched off: the updates service downloads and installs only when the user says so.
 */
export function electronUpdaterAdapter(autoUpdater: AutoUpdaterLike): Updater {
  autoUpdater.autoDownload = false;
  autoUpdater.autoInstallOnAppQuit = false;
  return {
    async check() {
      const result = await autoUpdater.checkForUpdates();
      if (!result?.isUpdateAvailable) return null;
      const notes = releaseNotesText(result.updateInfo.releaseNotes);
      return notes
        ? { version: result.updateInfo.version, releaseNotes: notes }
        : { version: result.updateInfo.version };
    },
    async download(onPercent) {
      const listener = (info: { percent: number }) => onPercent(Math.max(0, Math.min(100, Math.round(info.percent))));
      autoUpdater.on('download-progress', listener);
      try {
        await autoUpdater.downloadUpdate();
      } finally {
        autoUpdater.removeListener('download-progress', listener);
      }
    },
    quitAndInstall: () => autoUpdater.quitAndInstall(),
  };
}

/** Release notes arrive as HTML or as one note per version; the UI shows plain text. */
export function releaseNotesText(
  notes: string | ReadonlyArray<{ version: string; note: string | null }> | null | undefined,
): string | undefined {
  if (!notes) return undefined;
  const text = typeof notes === 'string' ? notes : notes.map((n) => `${n.version}\n${n.note ?? ''}`).join('\n\n');
  const plain = text
    .replace(/<br\s*\/?>|<\/(p|li|h\d)>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return plain || undefined;
}

/**
 * The updater of the installed app, or undefined where updates cannot work: development builds,
 * and packages built without an update feed (electron-builder writes app-update.yml only when
 * COSPEC_UPDATE_URL was set). electron-updater is loaded only here, so other builds never touch it.
 */
export async function installedAppUpdater(isPackaged: boolean, resourcesPath: string): Promise<Updater | undefined> {
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  if (!isPackaged || !existsSync(join(resourcesPath, 'app-update.yml'))) return undefined;
  const mod = (await import('electron-updater')) as {
    autoUpdater?: AutoUpdaterLike;
    default?: { autoUpdater: AutoUpdaterLike };
  };
  const autoUpdater = mod.autoUpdater ?? mod.default?.autoUpdater;
  return autoUpdater ? electronUpdaterAdapter(autoUpdater) : undefined;
}
