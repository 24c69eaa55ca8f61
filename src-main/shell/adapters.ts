import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { App, NativeTheme, SafeStorage, Session, Shell } from 'electron';
import { pathsFor, type Paths } from '../platform/paths';
import { vetExternalUrl } from '../../src-shared/ipc/external-url';
import type { Encryptor } from '../services/secrets/types';

/**
 * Small adapters from Electron's APIs to the narrow interfaces the services take
 * (ServiceDeps in src-main/services/create-services.ts), so the services never import electron.
 */

/** Electron safeStorage as the services' Encryptor (src-main/services/secrets/choose.ts); undefined when the OS offers no encryption at all. */
export function safeStorageEncryptor(
  safeStorage: Pick<
    SafeStorage,
    'isEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptString' | 'decryptString'
  >,
  platform: NodeJS.Platform = process.platform,
): Encryptor | undefined {
  // The services use the OS keychain first; this is only their fallback where no keychain answers.
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  const backendName = () =>
    platform === 'darwin' ? 'keychain' : platform === 'win32' ? 'dpapi' : safeStorage.getSelectedStorageBackend();
  return {
    // On Linux "basic_text" means a hard-coded key: encrypted in name only.
    isStrong: () => platform !== 'linux' || backendName() !== 'basic_text',
    backendName,
    encrypt: (plain) => safeStorage.encryptString(plain),
    decrypt: (cipher) => safeStorage.decryptString(cipher),
  };
}

/**
 * The app's folders from app.getPath('userData'), the same folder the CLI uses by default.
 * COSPEC_DATA_DIR points both (and Chromium's own profile) somewhere else, for tests and profiles;
 * call this before the app is ready so Chromium picks the folder up.
 */
export function electronPaths(app: Pick<App, 'getPath' | 'setPath'>, env: NodeJS.ProcessEnv = process.env): Paths {
  if (env.COSPEC_DATA_DIR) app.setPath('userData', env.COSPEC_DATA_DIR);
  return pathsFor(app.getPath('userData'));
}

/** The OS proxy for a URL, as Chromium resolves it (PAC files, system settings). */
export function sessionProxyResolver(session: Pick<Session, 'resolveProxy'>): (url: string) => Promise<string> {
  return (url) => session.resolveProxy(url);
}

/** shell.openExternal behind the same vetting as the app.openExternal call: http(s) pages only. */
export function externalOpener(shell: Pick<Shell, 'openExternal'>): (url: string) => Promise<void> {
  return async (url) => shell.openExternal(vetExternalUrl(url).toString(), { activate: true });
}

/**
 * Follows the OS light/dark setting (the renderer reads it through prefers-color-scheme) and tells
 * the caller when it changes, so the window background matches before the page repaints.
 */
export function followSystemTheme(
  nativeTheme: Pick<NativeTheme, 'themeSource' | 'shouldUseDarkColors' | 'on'>,
  onChange: (dark: boolean) => void,
): boolean {
  nativeTheme.themeSource = 'system';
  nativeTheme.on('updated', () => onChange(nativeTheme.shouldUseDarkColors));
  return nativeTheme.shouldUseDarkColors;
}

/** The app's own package.json (inside app.asar when packaged), parsed; undefined when unreadable. */
export function appPackageJson(app: Pick<App, 'getAppPath'>): unknown {
  try {
    return JSON.parse(readFileSync(join(app.getAppPath(), 'package.json'), 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}
