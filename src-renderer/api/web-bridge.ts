import { createCospecApi } from '../../src-shared/ipc/client';
import { createWebTransport } from '../../src-shared/ipc/web-transport';

/**
 * Browser mode (`cospec serve-web`): where no preload built window.cospec and the page came over
 * http from the web host, build it here from the same contract, over loopback HTTP and a
 * WebSocket. In the Electron window (app://) the preload's bridge is always there first.
 */
export function installWebBridge(): void {
  if (window.cospec || (location.protocol !== 'http:' && location.protocol !== 'https:')) return;
  const api = createCospecApi(createWebTransport({ origin: location.origin }));
  Object.defineProperty(window, 'cospec', { value: api, writable: false, configurable: false });
}
