import { TERMINAL_RUN_STATES, type RunState } from '../../../src-shared/model/run';

// The forward path of a run; any live state may also end failed or cancelled, and any live state
// becomes interrupted when the app finds it after a restart.
const NEXT: Record<RunState, readonly RunState[]> = {
  queued: ['preparing'],
  preparing: ['cloning'],
  cloning: ['running'],
  running: ['collecting'],
  collecting: ['succeeded'],
  succeeded: [],
  failed: [],
  cancelled: [],
  interrupted: [],
};

export function isTerminal(state: RunState): boolean {
  return TERMINAL_RUN_STATES.includes(state);
}

export function canTransition(from: RunState, to: RunState): boolean {
  if (isTerminal(from)) return false;
  if (to === 'failed' || to === 'cancelled' || to === 'interrupted') return true;
  return NEXT[from].includes(to);
}
