import type { RunRecord, RunState } from '../../../src-shared/model/run';
import { cx } from '../../components';
import { RUN_PATH, STATE_LABELS, STEP_LABELS, clockTime, duration, stateTone } from './format';

/**
 * The run's path from queued to its end: each step reached shows when and how long it took, the
 * current one is marked, and a run that ended early shows where it stopped instead of the steps
 * it never reached.
 */
export function RunTimeline({ run }: { run: RunRecord }) {
  const reached = new Map<RunState, string>(run.transitions.map((t) => [t.state, t.at]));
  const tone = stateTone(run.state);
  const ended = tone !== 'live';
  const steps: RunState[] =
    ended && run.state !== 'succeeded' ? [...RUN_PATH.filter((s) => reached.has(s)), run.state] : [...RUN_PATH];
  return (
    <ol className="timeline" aria-label="Run progress" data-testid="run-timeline">
      {steps.map((state, i) => {
        const at = reached.get(state);
        const next = steps[i + 1];
        const nextAt = next ? reached.get(next) : undefined;
        const current = state === run.state;
        return (
          <li
            key={state}
            className={cx(
              'timeline-step',
              at && 'timeline-done',
              current && !ended && 'timeline-current',
              current && ended && `timeline-end-${tone}`,
            )}
            data-state={state}
            aria-current={current ? 'step' : undefined}
          >
            <span className="timeline-dot" aria-hidden />
            <span className="timeline-label" title={STATE_LABELS[state]}>
              {STEP_LABELS[state]}
            </span>
            <span className="timeline-time">
              {at ? clockTime(at) : '—'}
              {at && nextAt && <span className="timeline-took"> {duration(at, nextAt)}</span>}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
