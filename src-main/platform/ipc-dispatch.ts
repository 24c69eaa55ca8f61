import {
  contract,
  events as eventSchemas,
  eventNames,
  invalidInput,
  toErrorEnvelope,
  type CospecHandlers,
  type EventName,
  type ServiceName,
  type WireResult,
} from '../../src-shared/ipc';
import type { MethodSpec } from '../../src-shared/ipc/define';
import type { EventBus } from './events';
import type { Logger } from './logger';

/**
 * Validates and dispatches one contract call, independent of how it arrived (Electron IPC, the CLI,
 * or browser mode's loopback HTTP, which the UI suite drives too): arguments are parsed by the contract's schema, the result is parsed
 * on the way out so nothing the schema does not name (a token, say) leaves main, and every failure
 * becomes an error envelope: bad arguments are INVALID_INPUT, anything else that fails validation
 * inside (a result, GitLab's JSON) is INTERNAL with a log entry.
 */
export function createDispatcher(handlers: CospecHandlers, logger: Logger) {
  return async function dispatch(service: string, methodName: string, rawArgs: unknown): Promise<WireResult> {
    try {
      const spec = lookup(service, methodName);
      const handler = lookupHandler(handlers, service as ServiceName, methodName);
      const args = spec.args.safeParse(rawArgs);
      if (!args.success) throw invalidInput(args.error);
      const value: unknown = await handler(...(args.data as unknown[]));
      // A result that fails its own contract is coSPEC's bug: INTERNAL, logged below.
      return { ok: true, value: spec.result.parse(value) };
    } catch (error) {
      const envelope = toErrorEnvelope(error);
      if (envelope.code === 'INTERNAL') logger.error('ipc call failed', { service, method: methodName, error });
      else logger.info('ipc call refused', { service, method: methodName, code: envelope.code });
      return { ok: false, error: envelope };
    }
  };
}

export type Dispatch = ReturnType<typeof createDispatcher>;

function lookup(service: string, methodName: string): MethodSpec {
  const spec = (contract as Record<string, Record<string, MethodSpec> | undefined>)[service]?.[methodName];
  if (!spec) throw new Error(`Unknown IPC method ${service}.${methodName}`);
  return spec;
}

function lookupHandler(
  handlers: CospecHandlers,
  service: ServiceName,
  methodName: string,
): (...args: unknown[]) => Promise<unknown> {
  const handler = (handlers[service] as Record<string, unknown> | undefined)?.[methodName];
  if (typeof handler !== 'function') throw new Error(`No handler for ${service}.${methodName}`);
  return handler as (...args: unknown[]) => Promise<unknown>;
}

/** Names every contract method that has no handler; the completeness test and start-up use it. */
export function missingHandlers(handlers: Partial<Record<string, Record<string, unknown>>>): string[] {
  const missing: string[] = [];
  for (const service of Object.keys(contract)) {
    for (const m of Object.keys((contract as Record<string, object>)[service] ?? {})) {
      if (typeof handlers[service]?.[m] !== 'function') missing.push(`${service}.${m}`);
    }
  }
  return missing;
}

/**
 * Hands every contract event on the bus to `deliver`, each payload parsed by its schema first so
 * only what the contract names leaves main; the Electron bridge and the browser-mode web host both
 * forward events through it. Returns the unsubscribe function.
 */
export function forwardContractEvents(
  bus: EventBus,
  logger: Logger,
  deliver: (event: EventName, payload: unknown) => void,
): () => void {
  const unsubscribers = eventNames.map((name) =>
    bus.on(name, (payload) => {
      const parsed = eventSchemas[name].safeParse(payload);
      if (!parsed.success) {
        logger.error('dropped an event that does not match the contract', {
          event: name,
          issues: parsed.error.issues.length,
        });
        return;
      }
      deliver(name, parsed.data);
    }),
  );
  return () => unsubscribers.forEach((off) => off());
}
