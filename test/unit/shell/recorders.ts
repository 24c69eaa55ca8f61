import { EventEmitter } from 'node:events';
import type { BrowserWindowConstructorOptions, HandlerDetails, WindowOpenHandlerResponse } from 'electron';

/**
 * Stand-ins for the Electron objects the shell factories take as parameters. They record what the
 * real shell code does to them and replay events through a real EventEmitter, so a test can assert
 * the exact options and handlers without the Electron binary.
 */
export class RecordedWebContents extends EventEmitter {
  static nextId = 1;
  readonly id = RecordedWebContents.nextId++;
  windowOpenHandler: ((details: HandlerDetails) => WindowOpenHandlerResponse) | undefined;
  readonly sent: Array<{ channel: string; payload: unknown }> = [];
  destroyed = false;

  setWindowOpenHandler(handler: (details: HandlerDetails) => WindowOpenHandlerResponse): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, payload: unknown): void {
    this.sent.push({ channel, payload });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Fires an event whose first argument is a preventable Electron Event; returns whether it was prevented. */
  fire(name: string, ...args: unknown[]): boolean {
    const event = preventable();
    this.emit(name, event, ...args);
    return event.defaultPrevented;
  }
}

export class RecordedBrowserWindow extends EventEmitter {
  static instances: RecordedBrowserWindow[] = [];
  readonly webContents = new RecordedWebContents();
  readonly loadedUrls: string[] = [];
  shown = false;

  constructor(readonly options: BrowserWindowConstructorOptions) {
    super();
    RecordedBrowserWindow.instances.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrls.push(url);
    return Promise.resolve();
  }
  show(): void {
    this.shown = true;
  }
}

export function preventable(): { defaultPrevented: boolean; preventDefault(): void } {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
  };
}
