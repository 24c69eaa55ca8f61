import type { CospecApi } from '../../src-shared/ipc/contract';
import type { EventBus } from '../platform/events';
import type { Output } from './io';

/**
 * What every command gets: the contract's client over the real services (built on first use),
 * the same validated path the window uses, and the output channel.
 */
export interface CliContext {
  out: Output;
  api(): Promise<CospecApi>;
  events: EventBus;
  /** Runs `dispose` before the process ends (after the command, or on Ctrl-C before exiting 130). */
  onExit(dispose: () => Promise<void>): void;
}
