import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import type { Logger } from '../platform/logger';
import { APP_ENTRY_URL } from './app-protocol';
import { guardWebContents } from './web-contents-guard';

export interface MainWindowSettings {
  /** Absolute path of the built, sandboxed preload (out/preload/index.cjs). */
  preloadPath: string;
  /** Whether the OS is in dark mode, so the first paint matches the theme instead of flashing white. */
  dark: boolean;
  /** Developer tools only in development builds; a packaged app has no console to paste code into. */
  devTools: boolean;
  /** Remembered bounds, already placed on a visible display (src-main/services/desktop/window-state.ts). */
  bounds?: { x: number; y: number; width: number; height: number };
  /** Reopen maximised, as it was left. */
  maximized?: boolean;
}

/** The exact options of the one app window: the security baseline lives in webPreferences. */
export function mainWindowOptions(settings: MainWindowSettings): BrowserWindowConstructorOptions {
  return {
    width: settings.bounds?.width ?? 1280,
    height: settings.bounds?.height ?? 820,
    ...(settings.bounds ? { x: settings.bounds.x, y: settings.bounds.y } : {}),
    minWidth: 900,
    minHeight: 600,
    title: 'coSPEC Desktop',
    show: false, // shown on ready-to-show, after the first paint
    backgroundColor: settings.dark ? '#111318' : '#ffffff',
    autoHideMenuBar: true,
    webPreferences: {
      preload: settings.preloadPath,
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
      devTools: settings.devTools,
    },
  };
}

/** The BrowserWindow constructor, passed in so a test can record what the factory builds. */
export type BrowserWindowClass = new (options: BrowserWindowConstructorOptions) => BrowserWindow;

export interface MainWindowDeps extends MainWindowSettings {
  BrowserWindow: BrowserWindowClass;
  openExternal(url: string): Promise<void>;
  logger: Logger;
}

/** Creates the app window, guards its web contents and loads the app from app://. */
export function createMainWindow(deps: MainWindowDeps): BrowserWindow {
  const window = new deps.BrowserWindow(mainWindowOptions(deps));
  guardWebContents(window.webContents, { openExternal: deps.openExternal, logger: deps.logger });
  window.once('ready-to-show', () => {
    if (deps.maximized) window.maximize();
    window.show();
  });
  window.webContents.on('render-process-gone', (_event, details) => {
    deps.logger.error('the window renderer stopped', { reason: details.reason, exitCode: details.exitCode });
  });
  void window
    .loadURL(APP_ENTRY_URL)
    .catch((error: unknown) => deps.logger.error('could not load the app page', { error }));
  return window;
}

/** Saves the window's normal (unmaximised) bounds and maximised state when it closes, for the next launch. */
export function rememberWindowState(
  window: Pick<BrowserWindow, 'on' | 'getNormalBounds' | 'isMaximized'>,
  save: (state: { x: number; y: number; width: number; height: number; maximized: boolean }) => void,
): void {
  window.on('close', () => {
    const b = window.getNormalBounds();
    save({
      x: Math.round(b.x),
      y: Math.round(b.y),
      width: Math.round(b.width),
      height: Math.round(b.height),
      maximized: window.isMaximized(),
    });
  });
}
