// Runs in the page before any of the app's code (a Playwright init script, so the strict CSP does
// not apply to it). It builds window.cospec with the same createCospecApi the Electron preload uses,
// over a transport whose invoke is the Node-side binding into the real dispatcher.
import { createCospecApi, type Transport } from '../../../src-shared/ipc/client';
import type { EventName, WireResult } from '../../../src-shared/ipc';

type Listener = (payload: unknown) => void;

interface HarnessWindow {
  /**
   * Answers with the WireResult as JSON text, or for a large answer with `fetch:PATH`, a same-origin
   * path it can be fetched from (see fixtures.ts: Playwright's binding takes about a second per 2.5 MB).
   */
  __cospecInvoke(service: string, method: string, args: unknown[]): Promise<string>;
  __cospecEmit?: (event: EventName, payload: unknown) => void;
  cospec?: unknown;
}

const w = window as unknown as HarnessWindow;
const listeners = new Map<EventName, Set<Listener>>();

const transport: Transport = {
  invoke: async (service, method, args) => {
    const start = performance.now();
    const answer = await w.__cospecInvoke(service, method, args);
    const json = answer.startsWith('fetch:') ? await (await fetch(answer.slice('fetch:'.length))).text() : answer;
    const result = JSON.parse(json) as WireResult;
    // A user-timing entry per call ("ipc review.get"), from the call to its parsed answer: the bench reads them.
    performance.measure(`ipc ${service}.${method}`, { start, end: performance.now() });
    return result;
  },
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
