import { contract, events, type EventName, type ServiceName } from './contract';

/** The invoke channel of one method: "service:method". */
export function invokeChannel(service: string, methodName: string): string {
  return `cospec:${service}:${methodName}`;
}

/** The channel main sends one event on. */
export function eventChannel(event: EventName): string {
  return `cospec:event:${event}`;
}

/** Every [service, method, channel] triple the contract declares. */
export function allInvokeChannels(): Array<{ service: ServiceName; method: string; channel: string }> {
  return (Object.keys(contract) as ServiceName[]).flatMap((service) =>
    Object.keys(contract[service]).map((m) => ({ service, method: m, channel: invokeChannel(service, m) })),
  );
}

export const eventNames = Object.keys(events) as EventName[];

/** What every invoke returns across the wire: a result or an error envelope, never a thrown Error. */
export type WireResult = { ok: true; value: unknown } | { ok: false; error: unknown };
