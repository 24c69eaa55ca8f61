import * as nodeFs from 'node:fs';
import git from 'isomorphic-git';
import type { CloneEngine, EngineRequest } from './types';
import { mapIsomorphicError, cancelledError } from './errors';
import { overallProgress } from './progress';
import { lfsWarning } from './lfs';
import { useNativeZlibForIsomorphicGit } from './native-zlib';

/**
 * The built-in clone path: isomorphic-git over the account's undici dispatcher. Needs nothing
 * installed; slower than git (see bench/clone.ts). Credentials come from the callback per request
 * and travel only in the Authorization header: isomorphic-git never writes them to .git/config.
 */
export function createIsomorphicEngine(options: { nativeZlib?: boolean } = {}): CloneEngine {
  if (options.nativeZlib ?? true) useNativeZlibForIsomorphicGit();
  return {
    name: 'isomorphic-git',
    async clone(req: EngineRequest) {
      const { undiciHttpClient } = await import('./undici-http');
      const ctx = { url: req.url, branch: req.branch, proxyUrl: req.network?.proxyUrl };
      const check = () => {
        if (req.signal.aborted) throw cancelledError();
      };
      try {
        await git.clone({
          fs: abortableFs(req.signal),
          http: undiciHttpClient({ dispatcher: req.dispatcher, signal: req.signal }),
          dir: req.dir,
          url: req.url,
          ref: req.branch,
          depth: req.depth,
          singleBranch: req.depth !== undefined,
          // Asked once, then the same answer for the next requests of this clone; a second ask
          // after a rejection means the token is wrong, so fail instead of looping.
          onAuth: onAuthOnce(req.credentials),
          onAuthFailure: () => ({ cancel: true }),
          onProgress: (p) => {
            check();
            const { detail, percent } = overallProgress(p.phase, p.loaded, p.total);
            req.onProgress(detail, percent);
          },
        });
        check();
        const branch = (await git.currentBranch({ fs: nodeFs, dir: req.dir })) ?? req.branch ?? 'HEAD';
        const head = await git.resolveRef({ fs: nodeFs, dir: req.dir, ref: 'HEAD' });
        const lfs = await lfsWarning(req.dir, 'isomorphic-git');
        return { branch, head, warnings: lfs ? [lfs] : [] };
      } catch (error) {
        throw mapIsomorphicError(unwrapCancel(error), ctx, req.signal);
      }
    },
  };
}

function onAuthOnce(credentials: EngineRequest['credentials']) {
  let cached: Promise<{ username: string; password: string }> | undefined;
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
