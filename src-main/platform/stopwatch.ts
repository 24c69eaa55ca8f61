/** Milliseconds per named step, summed when a step repeats (timings for debug lines and the bench). */
export interface Stopwatch {
  readonly laps: Record<string, number>;
  /** Charges the time since the previous lap (or the start) to `name`. */
  lap(name: string): void;
}

export function stopwatch(now: () => number = Date.now): Stopwatch {
  let last = now();
  const laps: Record<string, number> = {};
  return {
    laps,
    lap(name) {
      const t = now();
      laps[name] = (laps[name] ?? 0) + t - last;
      last = t;
    },
  };
}
