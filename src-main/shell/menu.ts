import type { MenuItemConstructorOptions } from 'electron';

export interface MenuActions {
  /** Shows the Settings screen in the window (opening one if needed). */
  openSettings(): void;
  /** Checks the update feed now and shows the result in the window. */
  checkForUpdates(): void;
  /** macOS: puts a `cospec` launcher on the PATH (src-main/services/desktop/cli-command.ts). */
  installCliCommand?(): void;
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  appName: string;
  /** Reload and developer tools appear only in development builds. */
  development: boolean;
  /** False when the build or the organisation's policy turns updates off: the item is hidden. */
  updatesEnabled: boolean;
  actions: MenuActions;
}

/**
 * The application menu, with the items and shortcuts people expect on each OS: on macOS the app menu
 * (About, Settings… ⌘,, Check for Updates…, Services, Hide, Quit) and a Window menu; on Windows and
 * Linux File (Settings… Ctrl+,, Quit) and Help (Check for Updates…, About). A pure function of its
 * options (Electron's roles do the work), so the template is tested without Electron.
 */
export function menuTemplate(options: MenuOptions): MenuItemConstructorOptions[] {
  const mac = options.platform === 'darwin';
  const settings: MenuItemConstructorOptions = {
    id: 'settings',
    label: mac ? 'Settings…' : '&Settings…',
    accelerator: 'CmdOrCtrl+,',
    click: () => options.actions.openSettings(),
  };
  const updates: MenuItemConstructorOptions[] = options.updatesEnabled
    ? [{ id: 'check-for-updates', label: 'Check for Updates…', click: () => options.actions.checkForUpdates() }]
    : [];
  const about: MenuItemConstructorOptions = { id: 'about', role: 'about', label: `About ${options.appName}` };
  const installCli = options.actions.installCliCommand;
  const cliCommand: MenuItemConstructorOptions[] = installCli
    ? [{ id: 'install-cli', label: "Install 'cospec' Command in PATH…", click: () => installCli() }]
    : [];
  const sep: MenuItemConstructorOptions = { type: 'separator' };

  const edit: MenuItemConstructorOptions = {
    label: mac ? 'Edit' : '&Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      sep,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: mac ? 'View' : '&View',
    submenu: [
      ...(options.development
        ? ([
            { role: 'reload' },
            { role: 'forceReload' },
            { role: 'toggleDevTools' },
            sep,
          ] as MenuItemConstructorOptions[])
        : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      sep,
      { role: 'togglefullscreen' },
    ],
  };

  if (mac)
    return [
      {
        label: options.appName,
        submenu: [
          about,
          ...updates,
          sep,
          settings,
          ...cliCommand,
          sep,
          { role: 'services' },
          sep,
          { role: 'hide' },
          { role: 'hideOthers' },
          { role: 'unhide' },
          sep,
          { id: 'quit', role: 'quit', label: `Quit ${options.appName}` },
        ],
      },
      { label: 'File', submenu: [{ role: 'close' }] },
      edit,
      view,
      { role: 'windowMenu' },
      { role: 'help', submenu: [] },
    ];
  return [
    {
      label: '&File',
      submenu: [
        settings,
        sep,
        {
          id: 'quit',
          role: 'quit',
          // Windows says Exit (Alt+F4 closes); GNOME and KDE say Quit with Ctrl+Q.
          ...(options.platform === 'win32' ? { label: 'E&xit' } : { label: '&Quit', accelerator: 'Ctrl+Q' }),
        },
      ],
    },
    edit,
    view,
    { label: '&Window', submenu: [{ role: 'minimize' }, { role: 'close' }] },
    { label: '&Help', submenu: [...updates, ...(updates.length ? [sep] : []), about] },
  ];
}
