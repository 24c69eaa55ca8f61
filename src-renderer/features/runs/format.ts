import type { RunState } from '../../../src-shared/model/run';

/** "1 h 4 min", "12 s": how long something took. */
export function duration(fromIso: string, toIso: string): string {
  const total = Math.max(0, Math.round((Date.parse(toIso) - Date.parse(fromIso)) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h) return `${h} h ${m} min`;
  if (m) return `${m} min ${s} s`;
  return `${s} s`;
}

export function clockTime(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
}

export const STATE_LABELS: Record<RunState, string> = {
  queued: 'Queued',
  preparing: 'Preparing image',
  cloning: 'Cloning',
  running: 'Running',
  collecting: 'Collecting outputs',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  interrupted: 'Interrupted',
};

/** Short names for the timeline, where six steps share one row. */
export const STEP_LABELS: Record<RunState, string> = {
  ...STATE_LABELS,
  preparing: 'Image',
  collecting: 'Outputs',
};

/** The tone a state is drawn in: live states pulse, ended ones say how they ended. */
export function stateTone(state: RunState): 'live' | 'success' | 'danger' | 'neutral' | 'warning' {
  switch (state) {
    case 'succeeded':
      return 'success';
    case 'failed':
      return 'danger';
    case 'cancelled':
      return 'neutral';
    case 'interrupted':
      return 'warning';
    default:
      return 'live';
  }
}

/** The forward path a run takes, for the timeline. */
export const RUN_PATH: readonly RunState[] = ['queued', 'preparing', 'cloning', 'running', 'collecting', 'succeeded'];
