import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allInvokeChannels } from '../../../src-shared/ipc';
import { startRecordedApp, type Call, type RecordedApp } from './recorded-electron/harness';

/**
 * The built composition root (out/main/index.js) run in Node against a recording stand-in for the
 * Electron API (./recorded-electron): the binary cannot be downloaded here, so this is how the
 * wiring of src-main/index.ts (order of start-up, real services, bridge, window, deep links, quit)
 * is exercised. test/electron runs the same checks in real Electron where it exists.
 */
let app: RecordedApp;
let dataDir: string;
const ask = <T = unknown>(command: string, input?: unknown) => app.ask<T>(command, input);
const calls = () => app.calls();
const apis = async () => (await calls()).map((c) => c.api);
const until = (predicate: (calls: Call[]) => boolean) => app.until(predicate);

beforeAll(async () => {
  app = await startRecordedApp();
  dataDir = app.dataDir;
}, 120_000);
afterAll(() => app?.stop());

describe('composition root under a recorded Electron API', () => {
  it('prepares app://, the data folder and cospec:// before the app is ready', async () => {
    const before = await apis();
    expect(before).not.toContain('app.ready');
    expect(before).toContain('protocol.registerSchemesAsPrivileged');
    expect(before).toContain('app.enableSandbox');
    expect(before.indexOf('app.setPath')).toBeLessThan(before.indexOf('app.requestSingleInstanceLock'));
    const all = await calls();
    expect(all.find((c) => c.api === 'app.setPath')?.detail).toEqual(['userData', dataDir]);
    expect(all.find((c) => c.api === 'app.requestSingleInstanceLock')?.detail).toBe(dataDir);
    expect(all.find((c) => c.api === 'app.setAsDefaultProtocolClient')?.detail).toEqual(['cospec']);
    expect(before).not.toContain('new BrowserWindow');
  });

  it('hardens the session and serves app:// before it opens the window', { timeout: 60_000 }, async () => {
    await ask('ready');
    const after = (await until((c) => c.some((x) => x.api === 'window.loadURL'))).map((c) => c.api);
    const window = after.indexOf('new BrowserWindow');
    for (const api of [
      'session.setPermissionRequestHandler',
      'session.setPermissionCheckHandler',
      'session.webRequest.onHeadersReceived',
      'protocol.handle',
    ]) {
      expect(after.indexOf(api), api).toBeGreaterThan(after.indexOf('app.ready'));
      expect(after.indexOf(api), api).toBeLessThan(window);
    }
    const options = (await calls()).find((c) => c.api === 'new BrowserWindow')?.detail as {
      webPreferences: Record<string, unknown>;
    };
    expect(options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      devTools: true,
    });
    expect(existsSync(options.webPreferences.preload as string)).toBe(true);
    expect((await calls()).find((c) => c.api === 'window.loadURL')?.detail).toBe('app://cospec/index.html');
  });

  it('serves the built renderer folder with the CSP', async () => {
    const page = await ask<{ status: number; headers: Record<string, string>; body: string }>('protocol', {
      url: 'app://cospec/index.html',
    });
    expect(page.status).toBe(200);
    expect(page.body).toContain('stand-in renderer');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('answers every contract channel through the sender-checked bridge with the real services', async () => {
    expect((await ask<string[]>('channels')).sort()).toEqual(
      allInvokeChannels()
        .map((c) => c.channel)
        .sort(),
    );
    const info = await ask('invoke', { channel: 'cospec:app:getInfo' });
    expect(info).toEqual({
      ok: true,
      value: expect.objectContaining({ host: 'electron', version: '0.1.0-test', dataDir }),
    });
    expect(await ask('invoke', { channel: 'cospec:accounts:list' })).toEqual({ ok: true, value: [] });
    for (const untrusted of [{ frameUrl: 'https://evil.example/' }, { senderId: 999 }, { subFrame: true }]) {
      expect(await ask('invoke', { channel: 'cospec:app:getInfo', ...untrusted })).toMatchObject({
        ok: false,
        error: { code: 'UNTRUSTED_SENDER' },
      });
    }
  });

  it('hands a second launch its window and its deep link, without logging the code', async () => {
    await ask('appEvent', {
      name: 'second-instance',
      args: [['/opt/coSPEC/cospec', 'cospec://oauth/callback?code=SECRETCODE123&state=unknown-state'], '/'],
    });
    await until((c) => c.some((x) => x.api === 'window.focus'));
    const log = join(dataDir, 'logs/main.log');
    for (;;) {
      if (existsSync(log) && (await readFile(log, 'utf8')).includes('cospec:// link was not accepted')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await readFile(log, 'utf8')).not.toContain('SECRETCODE123');
    // No sign-in is waiting for this response, so the user is told directly.
    const shown = (await until((c) => c.some((x) => x.api === 'dialog.showMessageBox'))).find(
      (c) => c.api === 'dialog.showMessageBox',
    );
    expect(shown?.detail).toMatchObject({
      type: 'warning',
      detail: expect.stringContaining('does not belong to a sign-in coSPEC started'),
    });
    expect(app.stderr()).not.toContain('SECRETCODE123');
    expect(await ask('appEvent', { name: 'open-url', args: ['cospec://oauth/callback?code=x&state=y'] })).toBe(true);
  });

  it('sends only vetted web links to the system browser and keeps the window on app://', async () => {
    expect(await ask('contentsEvent', { name: 'will-navigate', args: ['https://gitlab.com/'] })).toBe(true);
    expect(await ask('windowOpen', { url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    await until((c) => c.some((x) => x.api === 'shell.openExternal'));
    expect((await calls()).filter((c) => c.api === 'shell.openExternal').map((c) => c.detail)).toEqual([
      'https://gitlab.com/',
    ]);
  });

  it('holds the first quit until the services are disposed, then quits', { timeout: 30_000 }, async () => {
    await ask('quit');
    await app.exited;
    expect((await apis()).filter((api) => api === 'app.quit')).toHaveLength(2);
  });

  it('logged no error on the way (a missing handler, a failed service start …)', () => {
    const errors = app
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"level":"error"'));
    expect(errors).toEqual([]);
  });
});

describe('composition root when another instance holds the lock', () => {
  it('quits at once without building services or a window', { timeout: 120_000 }, async () => {
    const second = await startRecordedApp({ RECORDED_LOCK: 'taken' });
    try {
      await second.ask('ready');
      const apis = (await second.calls()).map((c) => c.api);
      expect(apis).toContain('app.quit');
      expect(apis).not.toContain('new BrowserWindow');
      expect(apis).not.toContain('protocol.handle');
      expect(await second.ask<string[]>('channels')).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
