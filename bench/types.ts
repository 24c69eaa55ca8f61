/** One line of the benchmark table: a measured value against a named baseline of the same run. */
export interface BenchResult {
  name: string;
  /** What the value is compared with, e.g. "git clone (CLI)". */
  baseline: string;
  baselineValue: number;
  value: number;
  /** Unit of value and baselineValue, e.g. "s", "MB". */
  unit: string;
  /** value / baselineValue. */
  ratio: number;
  /** The ratio the issue asks for at most, when there is one. */
  target?: number;
  /** Anything needed to read the line (runs, medians, limits). */
  note?: string;
}

/** A module of the benchmark: runs its measurements and returns its lines. */
export type BenchModule = () => Promise<BenchResult[]>;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function result(r: Omit<BenchResult, 'ratio'>): BenchResult {
  return { ...r, ratio: r.baselineValue > 0 ? r.value / r.baselineValue : Number.NaN };
}
