/**
 * Both clone paths report git's phases ("Receiving objects", "Resolving deltas", …) with a count;
 * the UI wants one bar. Each phase gets a slice of 0–100 sized by how long it usually takes.
 */
const SLICES: Array<{ match: RegExp; from: number; to: number; label: string }> = [
  { match: /^(counting|enumerating) objects/i, from: 0, to: 2, label: 'Counting objects' },
  { match: /^compressing objects/i, from: 2, to: 5, label: 'Compressing objects' },
  { match: /^receiving objects/i, from: 5, to: 65, label: 'Receiving objects' },
  { match: /^(resolving deltas|indexing objects|analyzing workdir)/i, from: 65, to: 80, label: 'Resolving deltas' },
  { match: /^(updating (files|workdir)|checking out files)/i, from: 80, to: 100, label: 'Checking out files' },
];

/** Maps one phase event to (detail, overall percent); unknown phases pass through without a percent. */
export function overallProgress(phase: string, loaded: number, total: number): { detail: string; percent?: number } {
  const slice = SLICES.find((s) => s.match.test(phase.trim()));
  if (!slice) return { detail: phase.trim() };
  if (!(total > 0)) return { detail: `${slice.label}: ${loaded}` };
  const fraction = Math.min(1, Math.max(0, loaded / total));
  const percent = Math.round(slice.from + (slice.to - slice.from) * fraction);
  return { detail: `${slice.label}: ${loaded}/${total}`, percent };
}

/**
 * Keeps the bar moving forward only (phases can restart their counts, e.g. "Receiving objects"
 * after "Counting objects" on the server) and drops repeats, so the UI is not flooded.
 */
export function monotonicReporter(
  sink: (detail: string, percent?: number) => void,
): (detail: string, percent?: number) => void {
  let best = 0;
  let lastDetail = '';
  let lastPercent: number | undefined = -1;
  return (detail, percent) => {
    const p = percent === undefined ? undefined : Math.max(best, percent);
    if (p !== undefined) best = p;
    if (detail === lastDetail && p === lastPercent) return;
    lastDetail = detail;
    lastPercent = p;
    sink(detail, p);
  };
}

const GIT_PROGRESS = /^(?:remote:\s*)?([A-Za-z][A-Za-z ]+?):\s+(\d+)%\s+\((\d+)\/(\d+)\)/;

/**
 * Reads `git clone --progress` stderr. git redraws a line with \r, so a chunk can hold several
 * updates and a line can span chunks; complete lines are returned for error reporting.
 */
export function gitProgressParser(onPhase: (phase: string, loaded: number, total: number) => void): {
  push(chunk: string): void;
  /** The last lines git printed that were not progress (its error messages end up here). */
  messages(): string[];
} {
  let pending = '';
  const messages: string[] = [];
  const handle = (line: string) => {
    const text = line.trim();
    if (!text) return;
    const m = GIT_PROGRESS.exec(text);
    if (m) {
      onPhase(m[1] ?? '', Number(m[3]), Number(m[4]));
      return;
    }
    messages.push(text);
    if (messages.length > 50) messages.shift();
  };
  return {
    push(chunk) {
      pending += chunk;
      const parts = pending.split(/[\r\n]/);
      pending = parts.pop() ?? '';
      for (const part of parts) handle(part);
    },
    messages() {
      if (pending) {
        handle(pending);
        pending = '';
      }
      return [...messages];
    },
  };
}
