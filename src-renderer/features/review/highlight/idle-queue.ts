/**
 * One queue of small jobs run while the page is idle (requestIdleCallback), so syntax highlighting
 * never competes with the first paint or with scrolling. Jobs run in the order they were asked for;
 * a job whose file scrolled away is cancelled through its AbortSignal and skipped.
 */
interface Job {
  run(): void;
  signal: AbortSignal;
}

const queue: Job[] = [];
let pending = false;
/** Leave this much of an idle period unused, so a frame that is due is not delayed. */
const RESERVE_MS = 3;

function pump(deadline: { timeRemaining(): number }): void {
  pending = false;
  // At least one job per callback: the timeout below guarantees progress on a page that is never idle.
  let first = true;
  while (queue.length > 0 && (first || deadline.timeRemaining() > RESERVE_MS)) {
    const job = queue.shift()!;
    if (job.signal.aborted) continue;
    first = false;
    job.run();
  }
  if (queue.length > 0) request();
}

function request(): void {
  if (pending) return;
  pending = true;
  if (typeof requestIdleCallback === 'function') requestIdleCallback(pump, { timeout: 1000 });
  else setTimeout(() => pump({ timeRemaining: () => 8 }), 16);
}

/** Runs `work` in a later idle period; rejects with the signal's reason if cancelled first. */
export function whenIdle<T>(work: () => T, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    queue.push({
      signal,
      run: () => {
        try {
          resolve(work());
        } catch (error) {
          reject(error);
        }
      },
    });
    request();
  });
}
