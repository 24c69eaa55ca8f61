import type { IpcMain, IpcMainInvokeEvent, WebContents, WebFrameMain } from 'electron';
import { allInvokeChannels, eventChannel, type WireResult } from '../../src-shared/ipc/channels';
import type { EventBus } from '../platform/events';
import { forwardContractEvents, type Dispatch } from '../platform/ipc-dispatch';
import type { Logger } from '../platform/logger';
import { isAppUrl } from './app-protocol';

/** What the bridge reads from an invoke event; Electron's IpcMainInvokeEvent has this shape. */
export type InvokeEventLike = {
  sender: Pick<WebContents, 'id'> & { mainFrame: Pick<WebFrameMain, 'url'> };
  senderFrame: (Pick<WebFrameMain, 'url'> & { parent: unknown }) | null;
};

/**
 * A call is trusted only from the main frame of one of the app's own windows showing an app://
 * page: not from an iframe, not after a navigation elsewhere, not from any other web contents.
 */
export function isTrustedSender(event: InvokeEventLike, trustedContentIds: ReadonlySet<number>): boolean {
  const frame = event.senderFrame;
  if (!frame) return false; // the frame navigated away or was destroyed before the call arrived
  if (!trustedContentIds.has(event.sender.id)) return false;
  if (frame.parent !== null || frame !== event.sender.mainFrame) return false;
  return isAppUrl(frame.url);
}

export interface IpcBridgeOptions {
  ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  dispatch: Dispatch;
  /** The web contents ids of the app's windows, read on every call. */
  trustedContentIds: ReadonlySet<number>;
  logger: Logger;
}

/**
 * Registers one ipcMain handler per contract method. The sender is checked first, then the
 * dispatcher validates the arguments and the result against the contract and wraps every failure
 * in an error envelope, so nothing reaches a service that the contract does not describe.
 * Returns a function that removes the handlers.
 */
export function registerIpcBridge(options: IpcBridgeOptions): () => void {
  const channels = allInvokeChannels();
  for (const { service, method, channel } of channels) {
    options.ipcMain.handle(
      channel,
      async (event: IpcMainInvokeEvent | InvokeEventLike, ...args: unknown[]): Promise<WireResult> => {
        if (!isTrustedSender(event as InvokeEventLike, options.trustedContentIds)) {
          options.logger.warn('refused an IPC call from an untrusted sender', { service, method });
          return {
            ok: false,
            error: { code: 'UNTRUSTED_SENDER', message: 'This call is only accepted from the coSPEC window.' },
          };
        }
        return options.dispatch(service, method, args);
      },
    );
  }
  return () => {
    for (const { channel } of channels) options.ipcMain.removeHandler(channel);
  };
}

/** Where events go: the app's windows' web contents. */
export type EventTarget = Pick<WebContents, 'send' | 'isDestroyed'>;

/**
 * Forwards every contract event from the bus to the windows, each payload parsed by its schema
 * first so only what the contract names crosses to the renderer. Returns the unsubscribe function.
 */
export function forwardEvents(bus: EventBus, targets: () => Iterable<EventTarget>, logger: Logger): () => void {
  return forwardContractEvents(bus, logger, (name, payload) => {
    for (const target of targets()) {
      if (!target.isDestroyed()) target.send(eventChannel(name), payload);
    }
  });
}
