import * as nodeFs from 'node:fs';
import git, { type HttpClient } from 'isomorphic-git';
import { cancelledError } from './errors';
import { lfsWarning } from './lfs';
import { overallProgress } from './progress';
import type { GitCredentials } from './types';

/** One isomorphic-git clone, the same whether it runs on a worker thread or the caller's thread. */
export interface IsomorphicCloneJob {
  url: string;
  dir: string;
  branch?: string;
  depth?: number;
  http: HttpClient;
  credentials: () => Promise<GitCredentials>;
  onProgress: (detail: string, percent?: number) => void;
  signal: AbortSignal;
}

export async function isomorphicClone(job: IsomorphicCloneJob): Promise<{ branch: string; head: string; warnings: string[] }> {
  const check = () => {
    if (job.signal.aborted) throw cancelledError();
  };
  try {
    await git.clone({
      fs: abortableFs(job.signal),
      http: job.http,
      dir: job.dir,
      url: job.url,
      ref: job.branch,
      depth: job.depth,
      singleBranch: job.depth !== undefined,
      // Asked once, then the same answer for the next requests of this clone; a second ask
      // after a rejection means the token is wrong, so fail instead of looping.
      onAuth: onAuthOnce(job.credentials),
      onAuthFailure: () => ({ cancel: true }),
      onProgress: (p) => {
        check();
        const { detail, percent } = overallProgress(p.phase, p.loaded, p.total);
        job.onProgress(detail, percent);
      },
    });
  } catch (error) {
    throw unwrapCancel(error);
  }
  check();
  const branch = (await git.currentBranch({ fs: nodeFs, dir: job.dir })) ?? job.branch ?? 'HEAD';
  const head = await git.resolveRef({ fs: nodeFs, dir: job.dir, ref: 'HEAD' });
  const lfs = await lfsWarning(job.dir, 'isomorphic-git');
  return { branch, head, warnings: lfs ? [lfs] : [] };
}

function onAuthOnce(credentials: IsomorphicCloneJob['credentials']) {
  let cached: Promise<GitCredentials> | undefined;
  return async () => {
    cached ??= credentials();
    const { username, password } = await cached;
    return { username, password };
  };
}

/** isomorphic-git maps onAuthFailure's cancel to UserCanceledError; the server really said 401. */
function unwrapCancel(error: unknown): unknown {
  const e = error as { code?: unknown };
  if (e?.code === 'UserCanceledError') return Object.assign(new Error('HTTP Error: 401 Unauthorized'), { code: 'HttpError', data: { statusCode: 401 } });
  return error;
}

/**
 * node:fs whose promise calls fail once the clone is cancelled, so checkout (thousands of writes)
 * stops at the next file instead of running to the end.
 */
function abortableFs(signal: AbortSignal): { promises: typeof nodeFs.promises } {
  const target = nodeFs.promises;
  const promises = new Proxy(target, {
    get(obj, key, receiver) {
      const value: unknown = Reflect.get(obj, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (signal.aborted) return Promise.reject(cancelledError());
        return (value as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
  return { promises };
}
