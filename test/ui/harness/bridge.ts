// Runs in the page before any of the app's code (a Playwright init script, so the strict CSP does
// not apply to it). It builds window.cospec with the same createCospecApi the Electron preload uses,
// over a transport whose invoke is the Node-side binding into the real dispatcher.
import { createCospecApi, type Transport } from '../../../src-shared/ipc/client';
import type { EventName, WireResult } from '../../../src-shared/ipc';

type Listener = (payload: unknown) => void;

interface HarnessWindow {
  /** Answers with the WireResult as JSON text (see fixtures.ts: one string crosses CDP cheaply, like Electron's structured clone). */
  __cospecInvoke(service: string, method: string, args: unknown[]): Promise<string>;
  __cospecEmit?: (event: EventName, payload: unknown) => void;
  cospec?: unknown;
}

const w = window as unknown as HarnessWindow;
const listeners = new Map<EventName, Set<Listener>>();

const transport: Transport = {
  invoke: async (service, method, args) => JSON.parse(await w.__cospecInvoke(service, method, args)) as WireResult,
  subscribe(event, listener) {
    const set = listeners.get(event) ?? new Set<Listener>();
    listeners.set(event, set);
    set.add(listener);
    return () => void set.delete(listener);
  },
};

// Node pushes main→renderer events through this function (page.evaluate).
w.__cospecEmit = (event, payload) => listeners.get(event)?.forEach((l) => l(payload));
Object.defineProperty(window, 'cospec', { value: createCospecApi(transport), writable: false, configurable: false });
