// Composition root of the Electron main process: builds the services, registers the IPC bridge and
// opens the window. Everything Electron-specific is adapted in ./shell; the services stay plain Node.
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeTheme,
  protocol,
  safeStorage,
  screen,
  session,
  shell,
} from 'electron';
import { join } from 'node:path';
import { z } from 'zod';
import { fileURLToPath } from 'node:url';
import { createEventBus } from './platform/events';
import { createDispatcher, missingHandlers } from './platform/ipc-dispatch';
import { createLogger, fileSink, stderrSink } from './platform/logger';
import { createServices } from './services';
import { spawnedStandInStarter } from './services/local-gitlab/spawned';
import { APP_SCHEME, appSchemeDefinition, createAppProtocolHandler } from './shell/app-protocol';
import { builtInGitLabComClientId } from './services/auth/built-in';
import {
  appPackageJson,
  electronPaths,
  externalOpener,
  followSystemTheme,
  safeStorageEncryptor,
  sessionProxyResolver,
} from './shell/adapters';
import { folderPicker } from './shell/folder-picker';
import {
  createDeepLinkQueue,
  findDeepLink,
  registerProtocolClient,
  routeDeepLinks,
  strayLinkMessage,
} from './shell/deep-links';
import { forwardEvents, registerIpcBridge } from './shell/ipc-bridge';
import { hardenSession } from './shell/session-security';
import { guardWebContents } from './shell/web-contents-guard';
import { installedAppUpdater } from './shell/updater';
import { createMainWindow, rememberWindowState } from './shell/window';
import { menuTemplate } from './shell/menu';
import { installCliCommand } from './shell/cli-command';
import { quitDialog } from './shell/quit-dialog';
import { createQuitGuard } from './services/desktop/quit-guard';
import { placeWindow, WINDOW_STATE_KEY, WindowStateSchema } from './services/desktop/window-state';
import { main as cliMain } from './cli';
import { cliArgsFromArgv } from './cli/launch';

const here = fileURLToPath(new URL('.', import.meta.url)); // out/main/
const rendererDir = join(here, '../renderer');
const preloadPath = join(here, '../preload/index.cjs');
const repoRoot = join(here, '../..');

// Must happen before `ready`: every renderer is sandboxed, whatever options a later window passes,
// and app:// gets an origin, a secure context and fetch support.
app.enableSandbox();
protocol.registerSchemesAsPrivileged([appSchemeDefinition]);

// Before the lock: the lock lives in the user data folder, which COSPEC_DATA_DIR may move.
const paths = electronPaths(app);

// `coSPEC Desktop accounts list`, or a launcher's `--cospec-cli …` (src-main/cli/launch.ts): the CLI,
// with the same services and data dir, and no window. It runs before the single-instance lock so it
// works while the app is open; the RunAsNode fuse stays off, so this is the only way in.
const cliArgs = cliArgsFromArgv(process.argv, process.defaultApp === true);
if (cliArgs) {
  app.dock?.hide();
  cliMain(cliArgs, { resourcesDir: app.isPackaged ? process.resourcesPath : join(repoRoot, 'resources') })
    .catch((error: unknown) => {
      console.error('cospec:', error instanceof Error ? error.message : String(error));
      return 1;
    })
    .then((code) => app.exit(code));
} else if (!app.requestSingleInstanceLock()) {
  // One running instance: a second launch (for example the OS opening a cospec:// link on Windows or
  // Linux) hands its argv to this process through `second-instance` and exits.
  app.quit();
} else {
  start().catch((error: unknown) => {
    // Only reached if start-up fails before the logger and dialogs are usable.
    console.error('coSPEC Desktop could not start:', error);
    app.exit(1);
  });
}

async function start(): Promise<void> {
  const logger = createLogger({ sinks: [fileSink(join(paths.logsDir, 'main.log')), stderrSink] }).child({
    process: 'main',
  });
  const openExternal = externalOpener(shell);
  const trustedContentIds = new Set<number>();
  let window: BrowserWindow | undefined;

  const deepLinks = createDeepLinkQueue((error) => {
    logger.warn('a cospec:// link was not accepted', { error });
    const message = strayLinkMessage(error);
    if (message)
      void dialog.showMessageBox({
        type: 'warning',
        title: 'coSPEC Desktop',
        message: 'Link ignored',
        detail: message,
      });
  });
  routeDeepLinks({
    app,
    deliver: (url) => deepLinks.push(url),
    focus: () => {
      if (!window || window.isDestroyed()) return;
      if (window.isMinimized()) window.restore();
      window.focus();
    },
  });
  const coldStartLink = findDeepLink(process.argv);
  if (coldStartLink) deepLinks.push(coldStartLink);
  const protocolRegistered = registerProtocolClient(app, {
    platform: process.platform,
    isPackaged: app.isPackaged,
    defaultApp: process.defaultApp === true,
    argv: process.argv,
    execPath: process.execPath,
    env: process.env,
  });

  // Every web contents, not only the window's (devtools, anything a later feature opens), gets the
  // same navigation and new-window rules; the window factory's own call is then a no-op.
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents, { openExternal, logger }));

  await app.whenReady();
  hardenSession(session.defaultSession, logger);
  protocol.handle(APP_SCHEME, createAppProtocolHandler({ rootDir: rendererDir }));
  followSystemTheme(nativeTheme, (isDark) => window?.setBackgroundColor(isDark ? '#111318' : '#ffffff'));

  const events = createEventBus();
  let services: Awaited<ReturnType<typeof createServices>>;
  try {
    services = await createServices({
      host: 'electron',
      appVersion: app.getVersion(),
      paths,
      logger,
      events,
      encryptor: safeStorageEncryptor(safeStorage),
      openExternal,
      // The native folder picker, as a sheet on the app window (check out an MR into a folder).
      pickFolder: folderPicker(dialog, () => window),
      resolveProxy: sessionProxyResolver(session.defaultSession),
      protocolRegistered,
      packaged: app.isPackaged,
      builtInGitLabComClientId: builtInGitLabComClientId(appPackageJson(app)),
      updater: await installedAppUpdater(app.isPackaged, process.resourcesPath),
      // Installers copy resources/sandbox and resources/agents next to app.asar; a checkout has them at its root.
      resourcesDir: app.isPackaged ? process.resourcesPath : join(repoRoot, 'resources'),
      // "Try it locally" runs the GitLab stand-in of a source checkout; installed builds do not ship it.
      localGitLab: app.isPackaged ? undefined : spawnedStandInStarter(repoRoot),
    });
  } catch (error) {
    logger.error('the services could not start', { error });
    dialog.showErrorBox('coSPEC Desktop could not start', error instanceof Error ? error.message : String(error));
    app.exit(1);
    return;
  }
  const runs = services.internal.runs.orchestrator;
  const quitGuard = createQuitGuard({
    inFlight: () => runs.inFlight(),
    cancelAll: () => runs.cancelAll(),
    whenIdle: () => runs.whenIdle(),
    ask: quitDialog(dialog, () => window),
    quitNow: () => app.quit(),
  });
  const missing = missingHandlers(services.handlers);
  if (missing.length) logger.error('contract methods without a handler', { missing });

  registerIpcBridge({ ipcMain, dispatch: createDispatcher(services.handlers, logger), trustedContentIds, logger });
  forwardEvents(events, () => (window && !window.isDestroyed() ? [window.webContents] : []), logger);

  const { settings } = services.internal;
  const openWindow = () => {
    // Where it was left, on the display it was on, clamped into a display that is still there.
    const saved = WindowStateSchema.safeParse(settings.read(WINDOW_STATE_KEY, z.unknown()));
    const placement = placeWindow(saved.success ? saved.data : undefined, screen.getAllDisplays(), {
      width: 900,
      height: 600,
    });
    window = createMainWindow({
      BrowserWindow,
      preloadPath,
      dark: nativeTheme.shouldUseDarkColors,
      devTools: !app.isPackaged,
      openExternal,
      logger,
      ...(placement.bounds ? { bounds: placement.bounds } : {}),
      maximized: placement.maximized,
    });
    rememberWindowState(window, (state) => settings.write(WINDOW_STATE_KEY, state));
    const current = window;
    const id = current.webContents.id;
    trustedContentIds.add(id);
    // Closing the last window quits on Windows and Linux: with runs in flight, ask first.
    current.on('close', (event) => {
      if (process.platform === 'darwin' || BrowserWindow.getAllWindows().length > 1 || quitGuard.mayQuitNow()) return;
      event.preventDefault();
      void quitGuard.request('close-last-window').then((outcome) => {
        if (outcome !== 'stay' && !current.isDestroyed()) current.destroy();
      });
    });
    current.on('closed', () => {
      trustedContentIds.delete(id);
      if (window === current) window = undefined;
    });
  };
  openWindow();
  deepLinks.ready((url) => services.handleDeepLink(url));
  services.internal.updates.startBackgroundChecks(); // checks only; downloads wait for the user

  const showSettings = () => {
    if (!window) openWindow();
    // A constant in-page hash change (src-renderer/app/navigation.ts routes on the hash).
    void window?.webContents.executeJavaScript("location.hash = '#/settings'").catch(() => undefined);
    window?.show();
  };
  const installMenu = async () => {
    const updateState = await services.handlers.updates.getState().catch(() => undefined);
    Menu.setApplicationMenu(
      Menu.buildFromTemplate(
        menuTemplate({
          platform: process.platform,
          appName: 'coSPEC Desktop',
          development: !app.isPackaged,
          updatesEnabled: !!updateState && updateState.status !== 'disabled' && updateState.status !== 'unsupported',
          actions: {
            openSettings: showSettings,
            checkForUpdates: () => {
              showSettings();
              void services.handlers.updates
                .check()
                .catch((error: unknown) => logger.warn('update check failed', { error }));
            },
            ...(process.platform === 'darwin' && app.isPackaged
              ? { installCliCommand: () => void installCliCommand(process.execPath, logger) }
              : {}),
          },
        }),
      ),
    );
  };
  void installMenu();

  app.on('activate', () => {
    if (!window) {
      quitGuard.resume(); // coming back cancels a pending "quit when the runs are done"
      openWindow(); // macOS: clicking the dock icon with no window open
    }
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Quitting with runs in flight asks first; "finish in the background" keeps the process (without a
  // window) until they end, so a run never dies without the user having chosen it.
  app.on('before-quit', (event) => {
    if (quitGuard.mayQuitNow()) return;
    event.preventDefault();
    void quitGuard.request('quit').then((outcome) => {
      if (outcome === 'proceed') app.quit();
      else if (outcome === 'background') for (const w of BrowserWindow.getAllWindows()) w.destroy();
    });
  });
  let disposed = false;
  app.on('will-quit', (event) => {
    if (disposed) return;
    event.preventDefault(); // finish pending work (runs, OAuth flows) before the process ends
    disposed = true;
    // Bounded: a stuck container or socket must not keep the app from quitting.
    Promise.race([services.dispose(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())])
      .catch((error: unknown) => logger.error('shutting down the services failed', { error }))
      .finally(() => app.quit());
  });
}
