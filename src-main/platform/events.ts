import { EventEmitter } from 'node:events';
import type { EventName, EventPayload } from '../../src-shared/ipc/contract';

/** Typed bus for the contract's main→renderer events; the shell and the UI harness forward it. */
export interface EventBus {
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

export function createEventBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(100);
  return {
    emit: (event, payload) => void emitter.emit(event, payload),
    on: (event, listener) => {
      emitter.on(event, listener as (p: unknown) => void);
      return () => void emitter.off(event, listener as (p: unknown) => void);
    },
  };
}
