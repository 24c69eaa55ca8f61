/**
 * Cloning a project into a run's workspace. Two paths behind one interface: the user's git when
 * installed (fast, its own process) and isomorphic-git built in (needs nothing installed). Both
 * take credentials per call, apply the account's proxy and CA, report one progress bar, stop on
 * cancel and leave nothing half-written behind (see staging.ts).
 *
 * createGitService returns: clone, engineFor; cloneEngineFromEnv picks the app's default engine.
 */
import { z } from 'zod';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { Logger } from '../../platform/logger';
import { createCliEngine, detectGit, type GitInstall } from './cli-engine';
import { cancelledError, isTransientCloneError, mapIsomorphicError, repoLabel } from './errors';
import { createIsomorphicEngine, type IsomorphicEngineOptions } from './isomorphic-engine';
import { monotonicReporter } from './progress';
import { createStaging } from './staging';
import type { CloneEngine, CloneEngineName, CloneRequest, CloneResult } from './types';

export type { CloneEngine, CloneEngineName, CloneRequest, CloneResult, GitCredentials } from './types';
export { detectGit, type GitInstall } from './cli-engine';
export { undiciHttpClient } from './undici-http';
export type { IsomorphicEngineOptions } from './isomorphic-engine';

export interface GitServiceDeps {
  logger: Logger;
  /** The git binary to use; `git` on PATH by default. */
  gitPath?: string;
  /** Default engine choice for requests that do not name one. */
  engine?: CloneEngineName | 'auto';
  /** Attempts after a dropped connection and the first backoff (doubled each time). */
  retry?: { attempts: number; baseDelayMs: number };
  /** The built-in path's options: worker thread (default on; `workerUrl` for bundled builds), native zlib. */
  isomorphic?: Omit<IsomorphicEngineOptions, 'logger'>;
}

export interface GitService {
  /** Clones req.url into req.dir (which must not exist or be empty); retries dropped connections. */
  clone(req: CloneRequest): Promise<CloneResult>;
  /** Which engine a request would use (git when installed and usable for it). */
  engineFor(req: Pick<CloneRequest, 'engine' | 'dispatcher' | 'network'>): Promise<CloneEngineName>;
}

const RequestSchema = z.object({
  url: z
    .string()
    .url()
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'only http(s) remotes are supported')
    .refine((u) => !new URL(u).username && !new URL(u).password, 'the URL must not carry credentials'),
  dir: z.string().min(1),
  branch: z
    .string()
    .min(1)
    .regex(/^[^-\s~^:?*[\\][^\s~^:?*[\\]*$/, 'not a valid branch name')
    .optional(),
  depth: z.number().int().positive().optional(),
});

/**
 * The engine runs and review checkouts clone with: the user's git when one is installed (several
 * times faster, see `npm run bench`) and the built-in isomorphic-git otherwise;
 * COSPEC_CLONE_ENGINE=git|isomorphic-git forces one.
 */
export function cloneEngineFromEnv(env: NodeJS.ProcessEnv = process.env): CloneEngineName | 'auto' {
  const forced = env.COSPEC_CLONE_ENGINE;
  return forced === 'git' || forced === 'isomorphic-git' ? forced : 'auto';
}

export function createGitService(deps: GitServiceDeps): GitService {
  const log = deps.logger.child({ service: 'git' });
  const retry = deps.retry ?? { attempts: 3, baseDelayMs: 1000 };
  let gitInstall: Promise<GitInstall | undefined> | undefined;
  const installedGit = () => (gitInstall ??= detectGit(deps.gitPath));
  const iso = createIsomorphicEngine({ ...deps.isomorphic, logger: log });

  async function pickEngine(req: Pick<CloneRequest, 'engine' | 'dispatcher' | 'network'>): Promise<CloneEngine> {
    const wanted = req.engine ?? deps.engine ?? 'auto';
    if (wanted === 'isomorphic-git') return iso;
    const install = await installedGit();
    if (wanted === 'git') {
      if (!install)
        throw new CospecError(
          'CLONE_FAILED',
          'git (2.31 or later) is not installed, so the git clone path cannot run. Install git or use the built-in clone.',
        );
      return createCliEngine(install);
    }
    // A dispatcher without its CA/proxy as plain settings can only be honoured by isomorphic-git.
    if (!install || (req.dispatcher && !req.network)) return iso;
    return createCliEngine(install);
  }

  return {
    async engineFor(req) {
      return (await pickEngine(req)).name;
    },

    async clone(req) {
      const parsed = RequestSchema.safeParse(req);
      if (!parsed.success)
        throw new CospecError(
          'INVALID_INPUT',
          `The clone request is not valid: ${parsed.error.issues.map((i) => i.message).join('; ')}.`,
        );
      const signal = req.signal ?? new AbortController().signal;
      const engine = await pickEngine(req);
      const onProgress = monotonicReporter(req.onProgress ?? (() => undefined));
      const fields = { repo: repoLabel(req.url), branch: req.branch, depth: req.depth, engine: engine.name };
      log.info('clone started', fields);
      const started = Date.now();
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) throw cancelledError();
        const staging = await createStaging(req.dir);
        try {
          const result = await engine.clone({ ...req, dir: staging.path, onProgress, signal });
          if (signal.aborted) throw cancelledError();
          await staging.commit();
          onProgress('Done', 100);
          for (const warning of result.warnings) log.warn('clone warning', { ...fields, warning });
          log.info('clone finished', { ...fields, ms: Date.now() - started, head: result.head, attempt });
          return { ...result, engine: engine.name };
        } catch (raw) {
          await staging
            .discard()
            .catch((error: unknown) => log.warn('could not remove a failed clone', { ...fields, error }));
          const error =
            raw instanceof CospecError
              ? raw
              : mapIsomorphicError(raw, { url: req.url, branch: req.branch, proxyUrl: req.network?.proxyUrl }, signal);
          if (signal.aborted) {
            log.info('clone cancelled', fields);
            throw cancelledError();
          }
          if (!isTransientCloneError(error) || attempt >= retry.attempts) {
            log.warn('clone failed', { ...fields, attempt, code: error.code, detail: error.detail });
            throw error;
          }
          const delay = retry.baseDelayMs * 2 ** (attempt - 1);
          log.warn('clone interrupted, retrying', { ...fields, attempt, code: error.code, delayMs: delay });
          onProgress(
            `Connection dropped; retrying in ${Math.round(delay / 1000)} s (attempt ${attempt + 1} of ${retry.attempts})`,
          );
          await sleep(delay, signal);
        }
      }
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
