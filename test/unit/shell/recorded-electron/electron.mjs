// A recording stand-in for the Electron main-process API, for running the built composition root
// in Node. It implements just what src-main/index.ts and src-main/shell use, records every call in
// order, and lets the test drive it over the fork IPC channel (see ../composition-root.test.ts).
import { EventEmitter } from 'node:events';

const calls = [];
const record = (api, detail) => calls.push(detail === undefined ? { api } : { api, detail });
const preventable = () => ({
  defaultPrevented: false,
  preventDefault() {
    this.defaultPrevented = true;
  },
});

const paths = { userData: '/nonexistent/default-user-data' };
let resolveReady;
const ready = new Promise((r) => (resolveReady = r));

export const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  getVersion: () => '0.1.0-test',
  getPath: (name) => paths[name],
  setPath: (name, value) => (record('app.setPath', [name, value]), (paths[name] = value)),
  requestSingleInstanceLock: () => (
    record('app.requestSingleInstanceLock', paths.userData),
    process.env.RECORDED_LOCK !== 'taken'
  ),
  enableSandbox: () => record('app.enableSandbox'),
  setAsDefaultProtocolClient: (...args) => (record('app.setAsDefaultProtocolClient', args), true),
  whenReady: () => ready,
  quit() {
    record('app.quit');
    const event = preventable();
    app.emit('will-quit', event);
    if (!event.defaultPrevented) send({ type: 'exited' });
  },
  exit: (code) => (record('app.exit', code), send({ type: 'exited', code })),
});

let nextContentsId = 1;
class WebContents extends EventEmitter {
  id = nextContentsId++;
  mainFrame = { url: 'app://cospec/index.html', parent: null };
  windowOpenHandler = undefined;
  setWindowOpenHandler(fn) {
    this.windowOpenHandler = fn;
  }
  send(channel, payload) {
    record('webContents.send', { channel, payload });
  }
  isDestroyed() {
    return false;
  }
}

export class BrowserWindow extends EventEmitter {
  static all = [];
  constructor(options) {
    super();
    this.options = options;
    this.webContents = new WebContents();
    BrowserWindow.all.push(this);
    record('new BrowserWindow', options);
  }
  static getAllWindows() {
    return BrowserWindow.all;
  }
  loadURL(url) {
    record('window.loadURL', url);
    return Promise.resolve();
  }
  isDestroyed() {
    return false;
  }
  isMinimized() {
    return false;
  }
  restore() {}
  focus() {
    record('window.focus');
  }
  show() {
    record('window.show');
  }
  setBackgroundColor(color) {
    record('window.setBackgroundColor', color);
  }
  getNormalBounds() {
    return { x: 0, y: 0, width: this.options.width, height: this.options.height };
  }
  isMaximized() {
    return false;
  }
  maximize() {
    record('window.maximize');
  }
  destroy() {
    record('window.destroy');
  }
}

export const Menu = {
  buildFromTemplate: (template) => template,
  setApplicationMenu: (menu) =>
    record(
      'Menu.setApplicationMenu',
      menu.map((m) => m.label ?? m.role),
    ),
};
export const screen = {
  getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1050 } }],
};

const ipcHandlers = new Map();
export const ipcMain = {
  handle: (channel, fn) => ipcHandlers.set(channel, fn),
  removeHandler: (channel) => ipcHandlers.delete(channel),
};

const protocolHandlers = new Map();
export const protocol = {
  registerSchemesAsPrivileged: (schemes) => record('protocol.registerSchemesAsPrivileged', schemes),
  handle: (scheme, fn) => (record('protocol.handle', scheme), protocolHandlers.set(scheme, fn)),
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler: () => record('session.setPermissionRequestHandler'),
    setPermissionCheckHandler: () => record('session.setPermissionCheckHandler'),
    setDevicePermissionHandler: () => record('session.setDevicePermissionHandler'),
    setDisplayMediaRequestHandler: () => record('session.setDisplayMediaRequestHandler'),
    webRequest: { onHeadersReceived: () => record('session.webRequest.onHeadersReceived') },
    resolveProxy: async () => 'DIRECT',
  },
};

// Reversible stand-in for OS encryption, reported as a strong Linux keyring.
export const safeStorage = {
  isEncryptionAvailable: () => true,
  getSelectedStorageBackend: () => 'gnome_libsecret',
  encryptString: (plain) => Buffer.from(plain).reverse(),
  decryptString: (cipher) => Buffer.from(cipher).reverse().toString(),
};

export const shell = { openExternal: async (url) => record('shell.openExternal', url) };
export const nativeTheme = Object.assign(new EventEmitter(), { themeSource: 'system', shouldUseDarkColors: false });
export const dialog = {
  showErrorBox: (title, text) => record('dialog.showErrorBox', [title, text]),
  showMessageBox: async (options) => (
    record('dialog.showMessageBox', options),
    { response: 0, checkboxChecked: false }
  ),
};

export default {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  protocol,
  screen,
  session,
  safeStorage,
  shell,
  nativeTheme,
  dialog,
};

function send(message) {
  process.send?.(message);
}

// The test's commands. Each answers with { id, result }.
const commands = {
  calls: () => calls,
  ready: () => (record('app.ready'), resolveReady(), true),
  channels: () => [...ipcHandlers.keys()],
  async invoke({ channel, args = [], senderId, frameUrl = 'app://cospec/index.html', subFrame = false }) {
    const contents = BrowserWindow.all[0]?.webContents;
    const mainFrame = { url: frameUrl, parent: null };
    const frame = subFrame ? { url: frameUrl, parent: mainFrame } : mainFrame;
    const event = { sender: { id: senderId ?? contents?.id, mainFrame }, senderFrame: frame };
    return ipcHandlers.get(channel)(event, ...args);
  },
  async protocol({ url }) {
    const response = await protocolHandlers.get('app')(new Request(url));
    return {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: (await response.text()).slice(0, 400),
    };
  },
  appEvent: ({ name, args }) => {
    const event = preventable();
    app.emit(name, event, ...args);
    return event.defaultPrevented;
  },
  contentsEvent: ({ name, args }) => {
    const event = preventable();
    BrowserWindow.all[0].webContents.emit(name, event, ...args);
    return event.defaultPrevented;
  },
  windowOpen: ({ url }) => BrowserWindow.all[0].webContents.windowOpenHandler({ url }),
  quit: () => app.quit(),
};

process.on('message', async ({ id, command, input }) => {
  try {
    send({ id, result: await commands[command](input ?? {}) });
  } catch (error) {
    send({ id, error: String(error?.stack ?? error) });
  }
});

// Announced after the main module's synchronous start-up ran, so the test's first question
// sees everything that happens before `ready`.
setImmediate(() => send({ type: 'started' }));
