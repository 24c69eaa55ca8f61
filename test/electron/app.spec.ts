import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contract } from '../../src-shared/ipc/contract';
import { expect, skipWithoutElectron, test } from './fixtures';

// The real app in real Electron: what the unit tests assert on recorded objects, checked live.
skipWithoutElectron();

test('serves the window from app:// with the CSP header', async ({ window: page }) => {
  expect(page.url()).toBe('app://cospec/index.html');
  const csp = await page.evaluate(async () => (await fetch('/index.html')).headers.get('content-security-policy'));
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
});

test('exposes exactly window.cospec, built from the contract', async ({ window: page }) => {
  const shape = await page.evaluate(() => {
    const api = (window as unknown as { cospec?: Record<string, unknown> }).cospec;
    return (
      api &&
      Object.fromEntries(
        Object.entries(api).map(([k, v]) => [
          k,
          typeof v === 'function' ? 'function' : Object.keys(v as object).sort(),
        ]),
      )
    );
  });
  const expected: Record<string, unknown> = { on: 'function' };
  for (const [service, methods] of Object.entries(contract)) expected[service] = Object.keys(methods).sort();
  expect(shape).toEqual(expected);
  const info = await page.evaluate(() =>
    (window as unknown as { cospec: { app: { getInfo(): Promise<{ host: string }> } } }).cospec.app.getInfo(),
  );
  expect(info.host).toBe('electron');
});

test('gives the page no Node.js and no Electron internals', async ({ window: page }) => {
  const globals = await page.evaluate(() => ({
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
    module: typeof (globalThis as { module?: unknown }).module,
    ipcRenderer: typeof (globalThis as { ipcRenderer?: unknown }).ipcRenderer,
    electron: typeof (globalThis as { electron?: unknown }).electron,
  }));
  expect(globals).toEqual({
    require: 'undefined',
    process: 'undefined',
    module: 'undefined',
    ipcRenderer: 'undefined',
    electron: 'undefined',
  });
});

test('runs the window with the security baseline', async ({ app }) => {
  const prefs = await app.evaluate(({ BrowserWindow }) => {
    // getLastWebPreferences exists at run time but is missing from electron.d.ts.
    type Prefs = {
      contextIsolation: boolean;
      sandbox: boolean;
      nodeIntegration: boolean;
      webviewTag: boolean;
      webSecurity: boolean;
    };
    const contents = BrowserWindow.getAllWindows()[0]!.webContents as unknown as {
      getLastWebPreferences(): Prefs | null;
    };
    const p = contents.getLastWebPreferences();
    return (
      p && {
        contextIsolation: p.contextIsolation,
        sandbox: p.sandbox,
        nodeIntegration: p.nodeIntegration,
        webviewTag: p.webviewTag,
        webSecurity: p.webSecurity,
      }
    );
  });
  expect(prefs).toEqual({
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    webviewTag: false,
    webSecurity: true,
  });
});

test('denies navigation away from the app', async ({ app, window: page }) => {
  // Listen in main (after the app's own guard, which registered first), then navigate from the page.
  await app.evaluate(({ BrowserWindow }) => {
    const contents = BrowserWindow.getAllWindows()[0]!.webContents;
    (globalThis as { navigation?: Promise<boolean> }).navigation = new Promise((resolve) =>
      contents.once('will-navigate', (event) => resolve(event.defaultPrevented)),
    );
  });
  // An http URL with credentials: Chromium asks will-navigate, and the guard neither allows it nor
  // hands it to the system browser (vetExternalUrl refuses credentials), so nothing opens on the host.
  await page.evaluate(() => {
    window.location.href = 'http://user:secret@example.invalid/';
  });
  expect(await app.evaluate(() => (globalThis as { navigation?: Promise<boolean> }).navigation)).toBe(true);
  expect(page.url()).toMatch(/^app:\/\/cospec\//);
});

test('denies new windows', async ({ app, window: page }) => {
  const opened = await page.evaluate(
    () => window.open('file:///etc/passwd') === null && window.open('about:blank') === null,
  );
  expect(opened).toBe(true);
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
});

test('denies permission requests, except notifications for the app page', async ({ window: page }) => {
  const geolocation = await page.evaluate(
    () =>
      new Promise<string>((resolve) =>
        navigator.geolocation.getCurrentPosition(
          () => resolve('granted'),
          (error) => resolve(error.code === error.PERMISSION_DENIED ? 'denied' : `error ${error.code}`),
        ),
      ),
  );
  expect(geolocation).toBe('denied');
  const camera = await page.evaluate(() =>
    navigator.mediaDevices.getUserMedia({ video: true }).then(
      () => 'granted',
      (e: Error) => e.name,
    ),
  );
  expect(camera).not.toBe('granted');
  expect(await page.evaluate(() => Notification.requestPermission())).toBe('granted'); // run-finished notifications
});

test('refuses calls that do not match the contract, and links that are not web pages', async ({ window: page }) => {
  const codes = await page.evaluate(async () => {
    const api = (window as unknown as { cospec: { app: { openExternal(url: unknown): Promise<void> } } }).cospec;
    const codeOf = (call: Promise<unknown>) =>
      call.then(
        () => 'accepted',
        (e: { code?: string }) => e.code,
      );
    return {
      notAString: await codeOf(api.app.openExternal(42)),
      fileUrl: await codeOf(api.app.openExternal('file:///etc/passwd')),
    };
  });
  expect(codes).toEqual({ notAString: 'INVALID_INPUT', fileUrl: 'INVALID_URL' });
});

test('keeps one instance: a second launch hands its cospec:// link to the running app and exits', async ({
  app,
  launcher,
  window: page,
}) => {
  expect(page.url()).toMatch(/^app:\/\//); // the first instance is up
  const code = await launcher.secondLaunch(['cospec://oauth/callback?code=SECRETCODE123&state=not-started-here']);
  expect(code).toBe(0);
  expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1);
  // The running instance received and refused the link (no sign-in was started); bounded by the test timeout.
  const log = join(launcher.dataDir, 'logs/main.log');
  while (!(await readFile(log, 'utf8').catch(() => '')).includes('cospec:// link was not accepted'))
    await new Promise((r) => setTimeout(r, 50));
  expect(await readFile(log, 'utf8')).not.toContain('SECRETCODE123');
});
