import type { WireResult } from '../../src-shared/ipc/channels';
import { webCall } from '../../src-shared/ipc/web-call';
import type { Route } from '../app/navigation';

/*
 * The first screen's data, asked for by main.tsx (the renderer's first few kB) before React, the
 * query cache and the contract have loaded, so main computes it while the app's code arrives. The
 * screen's query takes the answer once (callEarlyOr in ./client.ts); a later fetch is a new call.
 * Only plain calls here: in the Electron window the preload's bridge, in browser mode the same
 * POST the web transport sends (src-shared/ipc/web-call.ts).
 */

export type EarlyCall = { wire: Promise<WireResult> } | { value: Promise<unknown> };

const started = new Map<string, EarlyCall>();

/** The same key for the same call whatever the order of an argument's fields. */
function keyOf(service: string, method: string, args: unknown[]): string {
  return JSON.stringify([service, method, args], (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

function start(service: string, method: string, args: unknown[]): void {
  const bridge = window.cospec as unknown as Record<string, Record<string, (...a: unknown[]) => Promise<unknown>>>;
  let call: EarlyCall;
  if (bridge) {
    const fn = bridge[service]?.[method];
    if (!fn) return;
    call = { value: fn(...args) };
    call.value.catch(() => undefined); // surfaces where it is taken, not as an unhandled rejection
  } else if (location.protocol === 'http:' || location.protocol === 'https:') {
    call = { wire: webCall(fetch.bind(globalThis), service, method, args) };
  } else return; // no bridge at all: the app says so
  started.set(keyOf(service, method, args), call);
}

/** Asks for what the route's screen shows first. */
export function startEarlyCalls(route: Route): void {
  if (route.name === 'runs') start('runs', 'list', []);
  if (route.name === 'review') start('review', 'get', [{ runId: route.runId, mrIid: route.mrIid }]);
}

/** The call started above for these arguments, once. */
export function takeEarlyCall(service: string, method: string, args: unknown[]): EarlyCall | undefined {
  const key = keyOf(service, method, args);
  const call = started.get(key);
  started.delete(key);
  return call;
}
