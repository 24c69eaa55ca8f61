import * as nodeFs from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import git from 'isomorphic-git';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { Logger } from '../../platform/logger';
import { readTree, treeOfCommit } from './checkout';
import { advanceCheckout } from './checkout-advance';
import { mapIsomorphicError } from './errors';
import { isSafeBranchName } from './host-git';
import { peel } from './isomorphic-clone';
import { runInWorker, standbyWorker, workerEntry, type StandbyWorker, type WorkerIo } from './isomorphic-engine';
import { copyMirror, fetchMirror, withPacks } from './isomorphic-mirror-steps';
import type { MirrorStore } from './mirror';
import type { MirrorOps, MirrorUpdate } from './mirror-ops';
import { useNativeZlibForIsomorphicGit } from './native-zlib';
import { undiciHttpClient } from './undici-http';

/**
 * The clone cache's steps on the isomorphic-git path (for when git is not installed or the user
 * chose the built-in clone): the same bare mirrors as the git path (mirror.ts), filled and brought
 * up to date by isomorphic-git's fetch with the pack streamed to disk by our indexer, and each
 * run's workspace made by copying the mirror's pack and index files (copies: never hard links, no
 * alternates), writing the refs a clone writes, and checking out with checkout.ts. The first fill
 * and every copy run on the isomorphic-git worker thread (isomorphic-mirror-steps.ts); updates of
 * a filled mirror and the lookups, which read a few objects, run here.
 */
export interface IsomorphicMirrorDeps {
  mirrors: MirrorStore;
  logger: Logger;
  /** Inflate with Node's zlib instead of pako (default true; see native-zlib.ts). */
  nativeZlib?: boolean;
  /** Fetch and copy on the worker thread (default true), as the clone does (isomorphic-engine.ts). */
  worker?: boolean;
  workerUrl?: URL;
}

export function createIsomorphicMirrorOps(deps: IsomorphicMirrorDeps): MirrorOps {
  const log = deps.logger.child({ service: 'clone-cache-isomorphic' });
  const nativeZlib = deps.nativeZlib ?? true;
  let entry: ReturnType<typeof workerEntry> | null = null;
  /** Found on first use: in development that bundles the worker's sources. */
  const worker = () => {
    if (!(deps.worker ?? true)) return undefined;
    if (entry === null) {
      entry = workerEntry(deps.workerUrl);
      if (!entry) log.warn('isomorphic-git worker entry not found; the clone cache works on the calling thread');
    }
    return entry;
  };
  const inThread = () => {
    // Set on first use, not at start: the swap is global to isomorphic-git in this thread.
    if (nativeZlib) useNativeZlibForIsomorphicGit();
  };
  const io = (ctxUrl: string, signal: AbortSignal | undefined, over: Partial<WorkerIo> = {}): WorkerIo => ({
    credentials: () => Promise.reject(new Error('this step does not use the network')),
    onProgress: () => undefined,
    signal: signal ?? new AbortController().signal,
    ctx: { url: ctxUrl },
    ...over,
  });

  /** A worker for the next copy, started while the mirror is brought up to date (clone-cache.ts copies next). */
  let spare: StandbyWorker | undefined;

  async function update(gitDir: string, req: MirrorUpdate): Promise<void> {
    const started = Date.now();
    const copier = worker();
    // Only when a run's copy follows: a refill or a compaction has none, and the worker would load
    // its script for nothing (0.3-0.6 s of CPU) and idle until it expires.
    if (copier && req.copyNext) spare ??= standbyWorker(copier);
    const credentials = () => req.access().then(({ username, password }) => ({ username, password }));
    const signal = req.signal ?? new AbortController().signal;
    // The fill indexes the whole project's pack: on the worker, as a clone. An update brings a
    // small pack or none, and the worker's start (hundreds of ms on a busy machine, at its lowered
    // priority) would cost more than it spares this thread.
    const filled = (await readdir(join(gitDir, 'objects', 'pack')).catch(() => [] as string[])).some((n) =>
      n.endsWith('.pack'),
    );
    const entry = filled ? undefined : worker();
    if (entry) {
      await runInWorker(
        entry,
        { kind: 'mirror-fetch', gitDir, url: req.fetchUrl, defaultBranch: req.defaultBranch, nativeZlib },
        io(req.fetchUrl, signal, { credentials, ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}) }),
      );
    } else {
      inThread();
      await fetchMirror({
        gitDir,
        url: req.fetchUrl,
        defaultBranch: req.defaultBranch,
        http: undiciHttpClient({ ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}), signal }),
        credentials,
        signal,
      });
    }
    log.debug('mirror fetched', { gitDir, ms: Date.now() - started, worker: entry !== undefined });
  }

  return {
    engine: 'isomorphic-git',
    available: async () => true,

    update: (mirror, req) => update(mirror.gitDir, req),

    async commitOf(mirror, branch) {
      if (!isSafeBranchName(branch)) return undefined;
      // A branch first, then a tag, as `git clone --branch` looks them up.
      for (const ref of [`refs/heads/${branch}`, `refs/tags/${branch}`]) {
        const oid = await git.resolveRef({ fs: nodeFs, gitdir: mirror.gitDir, ref }).catch(() => undefined);
        if (oid) return withPacks(mirror.gitDir, (packs) => peel(packs, oid));
      }
      return undefined;
    },

    async attributes(mirror, commit) {
      return withPacks(mirror.gitDir, (packs) => {
        const entry = readTree(packs, treeOfCommit(packs, commit)).find((e) => e.name === '.gitattributes');
        if (!entry || entry.mode === 0o40000) return '';
        const blob = packs.read(entry.oid.toString('hex'));
        return blob.type === 'blob' ? blob.data.toString('utf8') : '';
      });
    },

    async copy(mirror, dir, options) {
      if (options.depth !== undefined) throw new Error('the isomorphic-git cache makes full copies only');
      const started = Date.now();
      const signal = options.signal ?? new AbortController().signal;
      // Without a checkout the copy is a few files and refs: less than a worker's start costs.
      const entry = options.checkout === false ? undefined : worker();
      let timings: Record<string, number> = {};
      let ready: Worker | undefined;
      if (entry) {
        const job = {
          kind: 'mirror-copy',
          gitDir: mirror.gitDir,
          dir,
          url: options.url,
          branch: options.branch,
          background: options.background ?? false,
          nativeZlib,
        } as const;
        // A checkout prepared for later leaves the spare worker to the run it was started for.
        if (!options.background) {
          ready = spare?.take();
          spare = undefined;
        }
        await runInWorker(entry, job, io(options.url, signal, { onTimings: (t) => (timings = t) }), ready);
      } else {
        inThread();
        timings = await copyMirror(mirror.gitDir, dir, options.url, options.branch, signal, {
          ...(options.checkout === false ? { checkout: false } : {}),
        });
      }
      // The laps (initMs, packsMs, refsMs, checkoutMs) show in the bench's breakdown (bench/repeat-breakdown.ts).
      const ms = Date.now() - started;
      const laps = Object.values(timings).reduce((a, b) => a + b, 0);
      log.debug('mirror copied', {
        gitDir: mirror.gitDir,
        ms,
        worker: entry !== undefined,
        standby: ready !== undefined,
        ...timings,
        // The rest: the worker thread's start (loading its script) and exit.
        ...(entry ? { workerMs: ms - laps } : {}),
      });
    },

    async advance(mirror, dir, from, to, signal) {
      const started = Date.now();
      inThread();
      const done = await withPacks(mirror.gitDir, (packs) =>
        advanceCheckout({
          dir,
          gitdir: join(dir, '.git'),
          reader: packs,
          from,
          to,
          signal: signal ?? new AbortController().signal,
          maxChanges: MAX_ADVANCE_CHANGES,
        }),
      );
      log.debug('prepared checkout advanced', { dir, from, to, ...done, ms: Date.now() - started });
    },

    async compact(mirror, maxPacks, req) {
      const packs = await mirror.exclusive(async () =>
        (await readdir(join(mirror.gitDir, 'objects', 'pack'))).filter((n) => n.endsWith('.pack')),
      );
      if (packs.length <= maxPacks) return;
      // Writing one pack from many would inflate and deflate every object; fetching the project
      // afresh gives git's own packing, from GitLab, at the cost of one full fetch now and then.
      const started = Date.now();
      await deps.mirrors.discard(mirror.gitDir);
      await mirror.exclusive(() => update(mirror.gitDir, req));
      log.info('clone cache refetched to compact it', {
        gitDir: mirror.gitDir,
        packs: packs.length,
        ms: Date.now() - started,
      });
    },

    isNetworkFailure(error) {
      const mapped =
        error instanceof CospecError ? error : mapIsomorphicError(error, { url: 'https://gitlab.invalid/' });
      return NETWORK_CODES.has(mapped.code);
    },
  };
}

/**
 * An advance runs on this thread in slices, a full checkout on the worker: beyond this many files
 * and folders to remove or write, the worker's start (0.3-0.6 s) is the smaller cost for the main
 * process.
 */
const MAX_ADVANCE_CHANGES = 1500;

/** mapIsomorphicError's codes for GitLab or the way to it failing, not the mirror. */
const NETWORK_CODES = new Set([
  'CANCELLED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'PROXY_ERROR',
  'RATE_LIMITED',
  'SERVER_ERROR',
  'DNS_FAILURE',
  'CONNECTION_REFUSED',
  'CONNECTION_TIMEOUT',
  'CONNECTION_RESET',
  'TLS_CERT_EXPIRED',
  'TLS_HOSTNAME_MISMATCH',
  'TLS_UNKNOWN_CA',
  'TLS_ERROR',
]);
