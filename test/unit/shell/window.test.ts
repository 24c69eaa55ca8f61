import { beforeEach, describe, expect, it } from 'vitest';
import type { BrowserWindowClass } from '../../../src-main/shell/window';
import { createMainWindow, mainWindowOptions } from '../../../src-main/shell/window';
import { guardWebContents } from '../../../src-main/shell/web-contents-guard';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { RecordedBrowserWindow } from './recorders';

function openWindow() {
  const opened: string[] = [];
  const sink = memorySink();
  const window = createMainWindow({
    BrowserWindow: RecordedBrowserWindow as unknown as BrowserWindowClass,
    preloadPath: '/app/out/preload/index.cjs',
    dark: false,
    devTools: false,
    openExternal: async (url) => void opened.push(url),
    logger: createLogger({ sinks: [sink] }),
  }) as unknown as RecordedBrowserWindow;
  return { window, opened, logLines: sink.lines };
}

describe('main window factory', () => {
  beforeEach(() => {
    RecordedBrowserWindow.instances = [];
  });

  it('builds the window with the security baseline in webPreferences', () => {
    const { window } = openWindow();
    expect(RecordedBrowserWindow.instances).toHaveLength(1);
    expect(window.options.webPreferences).toEqual({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: false,
    });
    expect(window.options.show).toBe(false);
  });

  it('keeps developer tools for development builds only and paints the OS theme first', () => {
    const dev = mainWindowOptions({ preloadPath: '/p.cjs', dark: true, devTools: true });
    expect(dev.webPreferences?.devTools).toBe(true);
    expect(dev.backgroundColor).toBe('#111318');
    expect(mainWindowOptions({ preloadPath: '/p.cjs', dark: false, devTools: false }).backgroundColor).toBe('#ffffff');
  });

  it('loads the app from app://, never from file://', () => {
    const { window } = openWindow();
    expect(window.loadedUrls).toEqual(['app://cospec/index.html']);
  });

  it('shows the window only once it has painted', () => {
    const { window } = openWindow();
    expect(window.shown).toBe(false);
    window.emit('ready-to-show');
    expect(window.shown).toBe(true);
  });

  it('denies navigation away from the app and hands web pages to the system browser', async () => {
    const { window, opened } = openWindow();
    const contents = window.webContents;
    expect(contents.fire('will-navigate', 'https://gitlab.com/group/project/-/merge_requests/1')).toBe(true);
    expect(contents.fire('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(contents.fire('will-navigate', 'javascript:alert(1)')).toBe(true);
    expect(contents.fire('will-navigate', 'https://user:secret@evil.example/')).toBe(true);
    await Promise.resolve();
    expect(opened).toEqual(['https://gitlab.com/group/project/-/merge_requests/1']);
  });

  it('guards a web contents once, however many times it is handed over', () => {
    const { window } = openWindow();
    const listeners = window.webContents.listenerCount('will-navigate');
    guardWebContents(window.webContents as never, {
      openExternal: async () => undefined,
      logger: createLogger({ sinks: [memorySink()] }),
    });
    expect(window.webContents.listenerCount('will-navigate')).toBe(listeners);
    expect(listeners).toBe(1);
  });

  it('lets the app move between its own pages', () => {
    const { window } = openWindow();
    expect(window.webContents.fire('will-navigate', 'app://cospec/index.html#/runs')).toBe(false);
    expect(window.webContents.fire('will-navigate', 'app://other/index.html')).toBe(true);
  });

  it('denies redirects away from the app, sub-frame navigation and <webview>', () => {
    const { window } = openWindow();
    const contents = window.webContents;
    expect(contents.fire('will-redirect', 'https://evil.example/')).toBe(true);
    const frameNav = {
      isMainFrame: false,
      url: 'https://evil.example/',
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
    };
    contents.emit('will-frame-navigate', frameNav);
    expect(frameNav.defaultPrevented).toBe(true);
    expect(contents.fire('will-attach-webview', {}, {})).toBe(true);
  });

  it('denies every new window; only a vetted http(s) link goes to the system browser', async () => {
    const { window, opened, logLines } = openWindow();
    const handler = window.webContents.windowOpenHandler;
    expect(handler).toBeDefined();
    const details = (url: string) => ({
      url,
      frameName: '',
      features: '',
      disposition: 'new-window' as const,
      referrer: { url: '', policy: 'no-referrer' as const },
    });
    expect(handler!(details('https://docs.gitlab.com/ee/user/profile/personal_access_tokens.html'))).toEqual({
      action: 'deny',
    });
    expect(handler!(details('file:///etc/shadow'))).toEqual({ action: 'deny' });
    expect(handler!(details('smb://host/share'))).toEqual({ action: 'deny' });
    expect(handler!(details('app://cospec/index.html'))).toEqual({ action: 'deny' });
    await Promise.resolve();
    expect(opened).toEqual(['https://docs.gitlab.com/ee/user/profile/personal_access_tokens.html']);
    // The log names only scheme and host of what was blocked, never a path or query that could hold a code.
    expect(logLines.join('\n')).toContain('file://');
    expect(logLines.join('\n')).not.toContain('/etc/shadow');
  });
});
