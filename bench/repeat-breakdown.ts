import type { LogSink } from '../src-main/platform/logger';
import type { RunRecord } from '../src-shared/model/run';
import { median } from './types';

/**
 * Where one run's time went from `runs.start` to the agent's first line, read from the app's own
 * debug lines ("clone cache timings", "mirror copied", "sandbox: set-up timings", "sandbox:
 * container started") and the run's transitions, so the bench says which step grew, not only that
 * the total did.
 */

interface Line {
  time: number;
  message: string;
  fields: Record<string, unknown>;
}

export interface Breakdown {
  [step: string]: number;
}

/** A log sink keeping the lines the breakdown reads (everything else is dropped). */
export function breakdownSink(): LogSink & { since(t0: number): Line[] } {
  const wanted = new Set([
    'clone cache timings',
    'mirror copied',
    'sandbox: set-up timings',
    'sandbox: container started',
    'checkout prepared for the next run',
  ]);
  let lines: Line[] = [];
  return {
    write(text) {
      const parsed = JSON.parse(text) as { time: string; message: string } & Record<string, unknown>;
      if (!wanted.has(parsed.message)) return;
      lines.push({ time: Date.parse(parsed.time), message: parsed.message, fields: parsed });
      if (lines.length > 1000) lines = lines.slice(-500);
    },
    since: (t0) => lines.filter((l) => l.time >= t0),
  };
}

const numbers = (fields: Record<string, unknown>, keys?: string[]): Breakdown =>
  Object.fromEntries(
    Object.entries(fields).filter(
      (e): e is [string, number] => typeof e[1] === 'number' && e[0].endsWith('Ms') && (!keys || keys.includes(e[0])),
    ),
  );

/** One run's steps in ms: before the clone, the clone cache's laps, the sandbox's set-up, the container to the first line. */
export function breakdownOf(record: RunRecord, lines: Line[], t0: number, firstLineAt: number): Breakdown {
  const at = (state: string) => Date.parse(record.transitions.find((t) => t.state === state)?.at ?? '') || NaN;
  const find = (message: string) => lines.find((l) => l.message === message);
  const cache = find('clone cache timings');
  const copied = find('mirror copied');
  const setup = find('sandbox: set-up timings');
  const started = find('sandbox: container started');
  const out: Breakdown = {
    toPreparingMs: at('preparing') - t0,
    projectAndImageMs: at('cloning') - at('preparing'),
    cloneMs: at('running') - at('cloning'),
    ...(cache ? prefixed('cache.', numbers(cache.fields, undefined)) : {}),
    ...(copied ? prefixed('copy.', numbers(copied.fields)) : {}),
    ...(setup ? prefixed('sandbox.', numbers(setup.fields)) : {}),
    toFirstLineMs: started ? firstLineAt - started.time : NaN,
  };
  delete out['cache.totalMs'];
  return out;
}

function prefixed(prefix: string, b: Breakdown): Breakdown {
  return Object.fromEntries(Object.entries(b).map(([k, v]) => [prefix + k, v]));
}

/** "step median (min–max)" for every step of several runs, in the order the steps happen. */
export function summarise(runs: Breakdown[]): string {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return keys
    .map((k) => {
      const values = runs.map((r) => r[k]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (!values.length) return undefined;
      return `${k.replace(/Ms$/, '')} ${Math.round(median(values))} (${Math.min(...values)}–${Math.max(...values)})`;
    })
    .filter(Boolean)
    .join(', ');
}
