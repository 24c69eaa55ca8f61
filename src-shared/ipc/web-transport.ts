import { eventNames } from './channels';
import type { EventName } from './contract';
import type { Transport } from './client';
import { WEB_PATHS, webCall } from './web-call';

/*
 * The wire of browser mode (`cospec serve-web`, src-main/web-host): the same contract as the
 * Electron preload, carried over loopback HTTP. A call is one same-origin POST of
 * {service, method, args} answered with the WireResult (./web-call.ts); main→renderer events arrive over one
 * WebSocket as {event, payload} frames. The server owns every check (secret cookie, Host, Origin);
 * this side only speaks the protocol.
 */

export { WEB_PATHS, type WebCall } from './web-call';

/** The query parameter carrying the per-launch secret in the URL the user opens. */
export const WEB_SECRET_PARAM = 'cospec-secret';

/** One event frame on the WebSocket. */
export interface WebEventFrame {
  event: EventName;
  payload: unknown;
}

const knownEvents = new Set<string>(eventNames);

export interface WebTransportOptions {
  /** The page's origin, e.g. http://127.0.0.1:PORT (location.origin in the browser). */
  origin: string;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
  /** Called when the event connection drops or comes back (the UI may show it). */
  onConnectionChange?: (connected: boolean) => void;
}

/**
 * The browser transport: calls by fetch, events over one WebSocket opened at once and reopened
 * with a growing delay when it drops (events sent while it is down are lost, as for a reloaded window).
 */
export function createWebTransport(options: WebTransportOptions): Transport & { close(): void } {
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const Socket = options.WebSocket ?? WebSocket;
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let socket: WebSocket | undefined;
  let closed = false;
  let delay = 250;

  const connect = () => {
    if (closed) return;
    const url = new URL(WEB_PATHS.events, options.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new Socket(url.toString());
    socket = ws;
    ws.onopen = () => {
      delay = 250;
      options.onConnectionChange?.(true);
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      let frame: WebEventFrame;
      try {
        frame = JSON.parse(message.data) as WebEventFrame;
      } catch {
        return;
      }
      if (!knownEvents.has(frame.event)) return;
      listeners.get(frame.event)?.forEach((listener) => listener(frame.payload));
    };
    ws.onclose = () => {
      if (socket === ws) socket = undefined;
      if (closed) return;
      options.onConnectionChange?.(false);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 5000);
    };
  };
  connect();

  return {
    invoke: (service, method, args) => webCall(doFetch, service, method, args),
    subscribe(event, listener) {
      if (!knownEvents.has(event)) throw new TypeError(`Unknown event "${String(event)}".`);
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener);
      return () => void set.delete(listener);
    },
    close() {
      closed = true;
      socket?.close();
    },
  };
}
