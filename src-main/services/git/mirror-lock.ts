import lockfile from 'proper-lockfile';
import type { Logger } from '../../platform/logger';

/**
 * Exclusion for one mirror across processes. The app and the `cospec` command share one data
 * folder (src-main/index.ts runs the command beside an open window), so both may fetch into, copy
 * from or discard the same mirror at once; the in-process queue in mirror.ts cannot see the other
 * process. The lock is a folder beside the mirror (`<id>.git.lock`, made atomically by mkdir),
 * kept fresh while held; a holder that died leaves it stale after `staleMs`, and the next process
 * takes it over. Beside the mirror rather than inside it, because a discard renames the mirror.
 */
export interface MirrorLockOptions {
  logger: Logger;
  /** How long to wait for another process's work on this mirror (a fetch is bounded by 10 min). */
  waitMs?: number;
  /** How long a lock nobody refreshed counts as held (the holder refreshes it every staleMs / 3). */
  staleMs?: number;
  pollMs?: number;
}

const DEFAULTS = { waitMs: 15 * 60_000, staleMs: 10_000, pollMs: 100 };

export class MirrorLockTimeout extends Error {
  constructor(gitDir: string, waitMs: number) {
    super(
      `Another coSPEC process has been using the project's cache (${gitDir}) for over ${Math.round(waitMs / 1000)} s.`,
    );
    this.name = 'MirrorLockTimeout';
  }
}

/** Runs `work` while this process holds the mirror's cross-process lock. */
export async function withMirrorLock<T>(
  gitDir: string,
  work: () => Promise<T>,
  options: MirrorLockOptions,
): Promise<T> {
  const { waitMs, staleMs, pollMs } = { ...DEFAULTS, ...options };
  const deadline = Date.now() + waitMs;
  let release: () => Promise<void>;
  for (;;) {
    try {
      release = await lockfile.lock(gitDir, {
        realpath: false,
        lockfilePath: lockPath(gitDir),
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 3)),
        retries: 0,
        // Refreshes stalled past staleMs (a blocked event loop): another process may have taken
        // the lock over. The work in hand finishes; git's own ref locks still guard each ref.
        onCompromised: (error) => options.logger.warn('mirror lock lost while held', { gitDir, error: error.message }),
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() >= deadline) throw new MirrorLockTimeout(gitDir, waitMs);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
  try {
    return await work();
  } finally {
    await release().catch((error: unknown) =>
      options.logger.warn('mirror lock release failed', {
        gitDir,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
}

/** The lock's folder for a mirror (never a mirror itself: mirror.ts lists only `<id>.git`). */
export function lockPath(gitDir: string): string {
  return `${gitDir}.lock`;
}
