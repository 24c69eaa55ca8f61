import { contract, type CospecApi, type EventName } from './contract';
import { CospecError, ErrorEnvelopeSchema } from './errors';
import type { WireResult } from './channels';

/** How a client reaches main: Electron's ipcRenderer in the preload, loopback HTTP in browser mode (./web-transport.ts). */
export interface Transport {
  invoke(service: string, method: string, args: unknown[]): Promise<WireResult>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
}

/**
 * Builds window.cospec from the contract: one async function per declared method and nothing else,
 * so the renderer can never reach a channel the contract does not name.
 */
export function createCospecApi(transport: Transport): CospecApi {
  const api: Record<string, unknown> = {};
  for (const [service, methods] of Object.entries(contract)) {
    const client: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    for (const name of Object.keys(methods)) {
      client[name] = async (...args: unknown[]) => unwrapWireResult(await transport.invoke(service, name, args));
    }
    api[service] = Object.freeze(client);
  }
  api.on = (event: EventName, listener: (payload: unknown) => void) => transport.subscribe(event, listener);
  return Object.freeze(api) as unknown as CospecApi;
}

/** A call's value, or its error envelope thrown as a CospecError. */
export function unwrapWireResult(result: WireResult): unknown {
  if (result.ok) return result.value;
  const parsed = ErrorEnvelopeSchema.safeParse(result.error);
  throw parsed.success
    ? CospecError.fromEnvelope(parsed.data)
    : new CospecError('INTERNAL', 'The app returned an unreadable error.');
}
