import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  electronPaths,
  externalOpener,
  followSystemTheme,
  safeStorageEncryptor,
  sessionProxyResolver,
} from '../../../src-main/shell/adapters';

/** A reversible stand-in for safeStorage's OS encryption, recording the backend it reports. */
function safeStorage(available: boolean, backend: 'basic_text' | 'gnome_libsecret' | 'kwallet6') {
  return {
    isEncryptionAvailable: () => available,
    getSelectedStorageBackend: () => backend,
    encryptString: (plain: string) => Buffer.from([...Buffer.from(plain)].reverse()),
    decryptString: (cipher: Buffer) => Buffer.from([...cipher].reverse()).toString(),
  };
}

describe('shell adapters', () => {
  it('adapts safeStorage to the Encryptor the secret store takes', () => {
    const encryptor = safeStorageEncryptor(safeStorage(true, 'gnome_libsecret'), 'linux')!;
    expect(encryptor.isStrong()).toBe(true);
    expect(encryptor.backendName()).toBe('gnome_libsecret');
    const cipher = encryptor.encrypt('glpat-abc');
    expect(cipher.toString()).not.toContain('glpat');
    expect(encryptor.decrypt(cipher)).toBe('glpat-abc');
  });

  it('marks the Linux basic_text backend as not strong, so tokens are refused without opt-in', () => {
    const encryptor = safeStorageEncryptor(safeStorage(true, 'basic_text'), 'linux')!;
    expect(encryptor.isStrong()).toBe(false);
    expect(encryptor.backendName()).toBe('basic_text');
    expect(safeStorageEncryptor(safeStorage(true, 'basic_text'), 'darwin')!.backendName()).toBe('keychain');
    expect(safeStorageEncryptor(safeStorage(true, 'basic_text'), 'win32')!.isStrong()).toBe(true);
  });

  it('leaves the services to the OS keychain when safeStorage cannot encrypt', () => {
    expect(safeStorageEncryptor(safeStorage(false, 'gnome_libsecret'), 'linux')).toBeUndefined();
  });

  it('takes the data folder from userData, or from COSPEC_DATA_DIR for Chromium too', () => {
    const set: Array<[string, string]> = [];
    let userData = '/home/u/.config/coSPEC Desktop';
    const app = {
      getPath: () => userData,
      setPath: (name: string, value: string) => (set.push([name, value]), (userData = value)),
    };
    expect(electronPaths(app as never, {})).toEqual({
      dataDir: '/home/u/.config/coSPEC Desktop',
      logsDir: join('/home/u/.config/coSPEC Desktop', 'logs'),
      cacheDir: join('/home/u/.config/coSPEC Desktop', 'cache'),
    });
    expect(set).toEqual([]);
    expect(electronPaths(app as never, { COSPEC_DATA_DIR: '/tmp/profile' }).dataDir).toBe('/tmp/profile');
    expect(set).toEqual([['userData', '/tmp/profile']]);
  });

  it('opens only vetted http(s) URLs with shell.openExternal', async () => {
    const opened: string[] = [];
    const open = externalOpener({ openExternal: async (url: string) => void opened.push(url) });
    await open('https://gitlab.example.com/-/profile/personal_access_tokens');
    for (const bad of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ms-msdt:/id',
      'https://user:pw@host/',
      'smb://host/x',
    ]) {
      await expect(open(bad), bad).rejects.toMatchObject({ code: 'INVALID_URL' });
    }
    expect(opened).toEqual(['https://gitlab.example.com/-/profile/personal_access_tokens']);
  });

  it('resolves the OS proxy through the session', async () => {
    const asked: string[] = [];
    const resolveProxy = sessionProxyResolver({
      resolveProxy: async (url: string) => (asked.push(url), 'PROXY proxy.corp:3128'),
    });
    expect(await resolveProxy('https://gitlab.corp/')).toBe('PROXY proxy.corp:3128');
    expect(asked).toEqual(['https://gitlab.corp/']);
  });

  it('follows the OS theme and reports changes', () => {
    const theme = Object.assign(new EventEmitter(), {
      themeSource: 'light' as 'light' | 'dark' | 'system',
      shouldUseDarkColors: true,
    });
    const changes: boolean[] = [];
    expect(followSystemTheme(theme as never, (dark) => changes.push(dark))).toBe(true);
    expect(theme.themeSource).toBe('system');
    theme.shouldUseDarkColors = false;
    theme.emit('updated');
    expect(changes).toEqual([false]);
  });
});
