import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { Logger } from '../../platform/logger';
import { stopwatch } from '../../platform/stopwatch';
import { cancelledError } from './errors';
import { HostGitError, isSafeBranchName } from './host-git';
import { createIsomorphicMirrorOps } from './isomorphic-mirror';
import type { CloneIntoOptions, Mirror, MirrorAccess, MirrorKey, MirrorStore } from './mirror';
import type { MirrorOps, MirrorUpdate } from './mirror-ops';
import { tracksLfs } from './lfs';
import { mirrorMatchesServer } from './advertised-refs';
import { undiciHttpClient } from './undici-http';
import { createPreparedCheckouts, type PreparedCheckout, type PreparedCheckouts } from './prepared-checkout';
import { createStaging } from './staging';
import type { CloneEngineName } from './types';

/**
 * Repeat runs on a project start from the app's own mirror of it (mirror.ts) instead of cloning
 * from GitLab again: before a run the mirror is brought up to date with one incremental fetch
 * (pruned, forced: GitLab's branches and tags as they are now, force-pushes and deletions
 * included), then the workspace is made from it by a local copy. The mirror is only ever written by
 * fetches from GitLab; a workspace never feeds back (an agent's pushes reach it through GitLab).
 *
 * What the container could use to reach the mirror, it does not get: objects are copied, never
 * hard-linked (root in the container could write through a shared inode), there is no alternates
 * file, and origin, the reflogs and the config name GitLab's URL as a clone from GitLab would.
 *
 * A project that tracks files with Git LFS is cloned directly, every run: the hardened git that
 * copies from the mirror runs no filters (lfs off), so the cache would hand out pointer files where
 * the clone from GitLab (git/cli-engine.ts, the user's git and git-lfs) gives the files, or says
 * why not (git/lfs.ts).
 *
 * Most of what is left of a repeat run's wait is the checkout, so once a run has ended the cache
 * prepares the next one beside the mirror, from the mirror (prepared-checkout.ts): a run at the
 * same commit gets its `.git` from the mirror as above, without a checkout, and the prepared files
 * and index moved in. One that no longer matches the commit, or was changed, is removed unused.
 *
 * A mirror that is damaged (checked cheaply: packs against their indexes, refs' syntax) or that git
 * cannot copy is discarded and the run clones from GitLab as before; the mirror is refilled
 * afterwards. The mirrors' total size is kept under a bound, least recently used project first.
 *
 * Both clone paths have this cache: a request names its engine, and the steps that differ (fetch,
 * lookups, the copy, compaction) are that engine's MirrorOps (mirror-ops.ts): the user's git's
 * below, isomorphic-git's in isomorphic-mirror.ts. The policy here is the same for both, and so
 * are the mirrors' folders, lock and bound.
 */

export interface CachedCloneRequest {
  key: MirrorKey;
  /** Where the mirror fetches from: the project on the account's own instance (credentials belong there). */
  fetchUrl: string;
  /** origin's URL in the workspace (what a clone from GitLab would have written). */
  url: string;
  dir: string;
  branch: string;
  /** GitLab's default branch: the mirror's HEAD, so the workspace's origin/HEAD is what a clone gives. */
  defaultBranch: string;
  depth?: number;
  access: () => Promise<MirrorAccess>;
  /** The clone path the run uses (default the user's git); the cache fetches and copies with the same. */
  engine?: CloneEngineName;
  /** The account's undici dispatcher (proxy, CA), for the isomorphic-git path. */
  dispatcher?: Dispatcher;
  onProgress?: (detail: string, percent?: number) => void;
  signal?: AbortSignal;
  /**
   * Once this settles (the run has ended, nobody waits), a checkout of the branch is prepared for
   * the next run (prepared-checkout.ts); without it, none is.
   */
  prepareAfter?: Promise<unknown>;
}

export interface CloneCacheStats {
  bytes: number;
  projects: number;
  maxBytes: number;
}

export interface CloneCache {
  /**
   * Updates the project's mirror and makes `dir` from it; undefined when the cache cannot serve
   * this clone (no git, GitLab unreachable, damaged mirror …): the caller clones from GitLab.
   */
  clone(req: CachedCloneRequest): Promise<{ head: string; branch: string } | undefined>;
  /** Fills the project's mirror after a clone that did not use it (in the background; errors logged). */
  refill(
    req: Pick<CachedCloneRequest, 'key' | 'fetchUrl' | 'defaultBranch' | 'access' | 'engine' | 'dispatcher'>,
  ): void;
  /**
   * A run's clone: from the cache when it can serve it, else `direct` (the clone from GitLab),
   * after which the cache is refilled in the background for the next run.
   */
  cloneOr(req: CachedCloneRequest, direct: () => Promise<{ head: string }>): Promise<{ head: string; cached: boolean }>;
  stats(): Promise<CloneCacheStats>;
  /** Empties every mirror; a run copying from one finishes first (it holds the mirror's lock). */
  clear(): Promise<CloneCacheStats>;
  /** Resolves when background refills and evictions have finished (tests, shutdown). */
  settled(): Promise<void>;
  /** Stops preparing checkouts for later runs (the app quits); a half-made one is removed. */
  dispose(): Promise<void>;
}

export interface CloneCacheDeps {
  mirrors: MirrorStore;
  logger: Logger;
  /** The bound on all mirrors together, read at each use (a setting). */
  maxBytes: () => number;
  /** Past this many packs the mirror is repacked into one after a run's copy (default 16). */
  maxPacks?: number;
  /** The isomorphic-git path's steps (default: isomorphic-mirror.ts over the same mirrors). */
  isomorphic?: MirrorOps;
  /** Checkouts prepared for the next run (default: prepared-checkout.ts beside the mirrors). */
  prepared?: PreparedCheckouts;
}

/** GitLab's branches and tags, exactly: forced (force-pushes), pruned (deleted branches and tags). */
const REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];

export function createCloneCache(deps: CloneCacheDeps): CloneCache {
  const log = deps.logger.child({ service: 'clone-cache' });
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): Promise<unknown> => {
    const p = work.catch((error: unknown) => log.warn('clone cache background work failed', { error }));
    background.add(p);
    void p.finally(() => background.delete(p));
    return p;
  };

  async function update(mirror: Mirror, req: MirrorUpdate): Promise<void> {
    if (!(await upToDate(mirror, req)))
      await mirror.fetch(req.fetchUrl, REFSPECS, await req.access(), { prune: true, signal: req.signal });
    if (!isSafeBranchName(req.defaultBranch)) return;
    // HEAD is our own file: a git process only when GitLab's default branch changed.
    const head = `ref: refs/heads/${req.defaultBranch}`;
    const now = await readFile(join(mirror.gitDir, 'HEAD'), 'utf8').catch(() => '');
    if (now.trim() !== head) await mirror.git(['symbolic-ref', 'HEAD', `refs/heads/${req.defaultBranch}`]);
  }

  /**
   * A filled mirror whose refs GitLab advertises unchanged needs no `git fetch` (a process, its
   * helpers and two requests: 120-280 ms of a repeat run here). Any doubt, the advertisement
   * failing included, leaves it to git's fetch, which says what is wrong in its own words.
   */
  async function upToDate(mirror: Mirror, req: MirrorUpdate): Promise<boolean> {
    const packs = await readdir(join(mirror.gitDir, 'objects', 'pack')).catch(() => [] as string[]);
    if (!packs.some((p) => p.endsWith('.pack'))) return false;
    return mirrorMatchesServer({
      gitDir: mirror.gitDir,
      url: req.fetchUrl,
      http: undiciHttpClient({
        ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}),
        ...(req.signal ? { signal: req.signal } : {}),
      }),
      credentials: () => req.access().then(({ username, password }) => ({ username, password })),
    }).catch((error: unknown) => {
      if (req.signal?.aborted) throw cancelledError();
      log.debug('ref advertisement not read; fetching with git', { gitDir: mirror.gitDir, error });
      return false;
    });
  }

  const prepared = deps.prepared ?? createPreparedCheckouts({ logger: deps.logger });
  /** Preparing is for later: stopped, not waited for, when the app quits (dispose). */
  const stopping = new AbortController();
  const preparing = new Set<Promise<unknown>>();
  const stopped = new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve()));

  /** A mirror and what is prepared from it are discarded together. */
  async function discard(gitDir: string): Promise<void> {
    await prepared.drop(gitDir);
    await deps.mirrors.discard(gitDir);
  }

  /** Every mirror with what is prepared beside it counted in (`prepared`: that part). */
  async function usage() {
    const all = await deps.mirrors.usage();
    return Promise.all(
      all.map(async (m) => {
        const beside = await prepared.bytes(m.gitDir);
        return { ...m, bytes: m.bytes + beside, prepared: beside };
      }),
    );
  }

  async function stats(): Promise<CloneCacheStats> {
    const all = await usage();
    return {
      bytes: all.reduce((sum, m) => sum + m.bytes, 0),
      projects: all.filter((m) => m.filled).length,
      maxBytes: deps.maxBytes(),
    };
  }

  /**
   * Keeps everything under the bound: first the checkouts prepared for later runs go, least recently
   * used project first (losing one costs a run its checkout, losing a mirror a full clone), then
   * whole mirrors.
   */
  async function evict(): Promise<void> {
    const max = deps.maxBytes();
    const all = (await usage()).sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    let total = all.reduce((sum, m) => sum + m.bytes, 0);
    for (const m of all) {
      if (total <= max) return;
      if (!m.prepared) continue;
      log.info('clone cache over its bound; removing a checkout prepared for a later run', {
        gitDir: m.gitDir,
        bytes: m.prepared,
        total,
        max,
      });
      await prepared.drop(m.gitDir);
      total -= m.prepared;
      m.bytes -= m.prepared;
    }
    for (const m of all) {
      if (total <= max) break;
      if (!m.filled) continue;
      log.info('clone cache over its bound; discarding the least recently used project', {
        gitDir: m.gitDir,
        bytes: m.bytes,
        total,
        max,
      });
      await discard(m.gitDir);
      total -= m.bytes;
    }
  }

  /** The user's git's steps: mirror.ts's host git in the app's own repositories. */
  const hostGit: MirrorOps = {
    engine: 'git',
    available: () => deps.mirrors.available(),
    update,
    async commitOf(mirror, branch) {
      return mirror.git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${branch}^{commit}`]).then(
        (r) => r.stdout.trim(),
        () => undefined,
      );
    },
    async attributes(mirror, commit) {
      // The blob as stored (cat-file runs no filter), read from our mirror, not from a workspace.
      return mirror.git(['cat-file', 'blob', `${commit}:.gitattributes`], { maxBuffer: 1024 * 1024 }).then(
        (r) => r.stdout,
        () => '',
      );
    },
    copy: (mirror, dir, options) => mirror.cloneInto(dir, options),
    advance: (mirror, dir, from, to, signal) => mirror.advanceInto(dir, from, to, signal ? { signal } : {}),
    compact: (mirror, maxPacks) => mirror.exclusive(() => repack(mirror, maxPacks)),
    isNetworkFailure,
  };
  const isomorphic = deps.isomorphic ?? createIsomorphicMirrorOps({ mirrors: deps.mirrors, logger: deps.logger });
  const opsFor = (engine: CloneEngineName | undefined): MirrorOps =>
    engine === 'isomorphic-git' ? isomorphic : hostGit;

  /** The cached clone, or why not: 'lfs' (the project needs the direct clone), undefined (anything else). */
  async function attempt(req: CachedCloneRequest): Promise<{ head: string; branch: string } | 'lfs' | undefined> {
    if (req.signal?.aborted) throw cancelledError();
    const ops = opsFor(req.engine);
    if (!isSafeBranchName(req.branch) || !(await ops.available())) return undefined;
    const fields = { projectId: req.key.projectId, branch: req.branch, engine: ops.engine };
    const mirror = await deps.mirrors.open(req.key);
    const started = Date.now();
    // Where a repeat run's time goes (debug log): waiting for the mirror's lock (a background
    // refill), the checks, the fetch from GitLab, the lookups, the copy.
    const clock = stopwatch();
    let usedPrepared = false;
    let advancedFrom: string | undefined;
    const result = await mirror
      .exclusive(async () => {
        clock.lap('lockWaitMs');
        const before = await mirror.damage();
        if (before) throw new CacheDamage(before);
        clock.lap('checkMs');
        req.onProgress?.('Updating the project’s cache', 0);
        // A checkout waiting beside the mirror will most likely serve, brought to the branch's
        // commit if the fetch moves it: then no full copy follows, and isomorphic-git's spare worker
        // is not started.
        const waiting = req.depth === undefined ? await prepared.peek(mirror.gitDir) : undefined;
        const likely = waiting?.engine === ops.engine;
        await ops.update(mirror, { ...req, copyNext: !likely });
        clock.lap('fetchMs');
        const after = await mirror.damage();
        if (after) throw new CacheDamage(after);
        clock.lap('checkMs');
        const known = await ops.commitOf(mirror, req.branch);
        // Not a branch or tag GitLab has: the clone from GitLab says so with its own message.
        if (!known) return undefined;
        const attributes = await ops.attributes(mirror, known);
        clock.lap('lookupMs');
        if (tracksLfs(attributes)) return 'lfs' as const;
        req.onProgress?.('Copying the project from its cache', 50);
        const staging = await createStaging(req.dir);
        try {
          const ready = req.depth === undefined ? await prepared.take(mirror.gitDir, ops.engine) : undefined;
          clock.lap('preparedMs');
          const options = {
            url: req.url,
            branch: req.branch,
            ...(req.depth !== undefined ? { depth: req.depth } : {}),
            ...(req.signal ? { signal: req.signal } : {}),
          };
          usedPrepared = ready ? await withPrepared(ops, mirror, staging.path, options, ready, known) : false;
          if (usedPrepared && ready?.commit !== known) advancedFrom = ready?.commit;
          if (!usedPrepared) await ops.copy(mirror, staging.path, options);
          clock.lap('copyMs');
          const head = await headOf(staging.path);
          if (head !== known) throw new CacheDamage(`the copy is at ${head}, the cache at ${known}`);
          if (req.signal?.aborted) throw cancelledError();
          await staging.commit();
          await mirror.touch();
          clock.lap('finishMs');
          return { head, branch: req.branch };
        } catch (error) {
          await staging.discard().catch(() => undefined);
          throw error;
        }
      })
      .catch(async (error: unknown) => {
        if (req.signal?.aborted) throw cancelledError();
        if (ops.isNetworkFailure(error)) {
          log.warn('could not update the clone cache from GitLab; cloning directly', { ...fields, error });
          return undefined;
        }
        // Damage, or git could not read or copy it: never used again as it is.
        log.warn('clone cache damaged; discarding it and cloning directly', {
          ...fields,
          problem: error instanceof Error ? error.message : String(error),
        });
        await discard(mirror.gitDir).catch((e: unknown) => log.warn('discard failed', { error: e }));
        return undefined;
      });
    log.debug('clone cache timings', { ...fields, ...clock.laps, totalMs: Date.now() - started });
    if (result === 'lfs') {
      log.info('project tracks files with Git LFS, which the clone cache cannot fetch; cloning directly', fields);
      return result;
    }
    if (result) {
      log.info('workspace made from the clone cache', {
        ...fields,
        ms: Date.now() - started,
        head: result.head,
        prepared: usedPrepared,
        ...(advancedFrom ? { advancedFrom } : {}),
      });
      req.onProgress?.('Done', 100);
      prepareNext(req, track(ops.compact(mirror, deps.maxPacks ?? 16, req).then(evict)));
    }
    return result;
  }

  /**
   * The workspace from the mirror without a checkout, the prepared files and index moved in and,
   * when GitLab has moved on since they were made, brought to `commit`; false (nothing left behind)
   * when that could not be done, and the caller copies as usual.
   */
  async function withPrepared(
    ops: MirrorOps,
    mirror: Mirror,
    dir: string,
    options: CloneIntoOptions,
    ready: PreparedCheckout,
    commit: string,
  ): Promise<boolean> {
    try {
      await ops.copy(mirror, dir, { ...options, checkout: false });
      await ready.placeInto(dir);
      if (ready.commit !== commit) await ops.advance(mirror, dir, ready.commit, commit, options.signal);
      return true;
    } catch (error) {
      if (options.signal?.aborted) throw cancelledError();
      // A data folder on another disk than the workspace (no rename across) or a copy that failed:
      // the full copy says which, if anything, is really wrong.
      log.warn('could not use the prepared checkout; copying the project as usual', { error });
      await ready.discard();
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      return false;
    }
  }

  /**
   * After the run has ended (`prepareAfter`) and the cache's own work for it (`after`), the next
   * run's checkout, from the mirror as it is then: outside the mirror's lock, so a review or a run
   * is never kept waiting by it (a copy that races a discard fails, and nothing is prepared).
   */
  function prepareNext(req: CachedCloneRequest, after: Promise<unknown>): void {
    const until = req.prepareAfter;
    if (!until || req.depth !== undefined) return;
    const ops = opsFor(req.engine);
    const work = track(
      (async () => {
        // A run still going when the app quits never ends here: quitting does not wait for it.
        await Promise.race([Promise.allSettled([after, until]), stopped]);
        const signal = stopping.signal;
        if (signal.aborted || !(await ops.available())) return;
        const mirror = await deps.mirrors.open(req.key);
        const commit = await ops.commitOf(mirror, req.branch);
        if (!commit || tracksLfs(await ops.attributes(mirror, commit))) return;
        await prepared.prepare(mirror.gitDir, ops.engine, async (dir) => {
          await ops.copy(mirror, dir, { url: req.url, branch: req.branch, background: true, signal });
          return headOf(dir);
        });
        await evict();
      })().catch((error: unknown) => {
        // Stopped because the app quits: nothing went wrong.
        if (!stopping.signal.aborted) throw error;
      }),
    );
    preparing.add(work);
    void work.finally(() => preparing.delete(work));
  }

  function refill(req: Parameters<CloneCache['refill']>[0]): Promise<unknown> {
    const ops = opsFor(req.engine);
    return track(
      (async () => {
        if (!(await ops.available())) return;
        const mirror = await deps.mirrors.open(req.key);
        // discard takes the mirror's lock itself.
        if (await mirror.exclusive(() => mirror.damage())) await discard(mirror.gitDir);
        await mirror.exclusive(() => ops.update(mirror, req));
        await mirror.touch();
        await evict();
      })(),
    );
  }

  /**
   * Each fetch that brings objects adds a pack (fetch.unpackLimit, mirror.ts) and host git never
   * collects garbage (gc.auto=0, host-git.ts): left alone, every repeat run would copy and search
   * ever more packs. Done in the background, under the mirror's lock, once the packs pile up.
   */
  async function repack(mirror: Mirror, limit: number): Promise<void> {
    const packs = (await readdir(join(mirror.gitDir, 'objects', 'pack')).catch(() => [] as string[])).filter((p) =>
      p.endsWith('.pack'),
    );
    if (packs.length <= limit) return;
    const started = Date.now();
    // -a -d: one pack of what the refs reach; what they no longer reach (force-pushes) is dropped.
    await mirror.git(['repack', '-a', '-d', '-q'], { timeoutMs: 600_000 });
    log.info('clone cache repacked', { gitDir: mirror.gitDir, packs: packs.length, ms: Date.now() - started });
  }

  return {
    async clone(req) {
      const made = await attempt(req);
      return made === 'lfs' ? undefined : made;
    },

    async cloneOr(req, direct) {
      const made = await attempt(req);
      if (made && made !== 'lfs') return { head: made.head, cached: true };
      const { head } = await direct();
      // The mirror of an LFS project is up to date already and serves no run: no refill.
      if (made !== 'lfs') prepareNext(req, refill(req));
      return { head, cached: false };
    },

    refill(req) {
      refill(req);
    },

    stats,

    async clear() {
      for (const m of await deps.mirrors.usage()) await discard(m.gitDir);
      log.info('clone cache cleared');
      return stats();
    },

    async settled() {
      while (background.size) await Promise.allSettled([...background]);
      await prepared.idle();
    },

    async dispose() {
      stopping.abort();
      while (preparing.size) await Promise.allSettled([...preparing]);
      await prepared.idle();
    },
  };
}

class CacheDamage extends Error {}

/** The commit HEAD names, read from the files git just wrote (no git process in the workspace). */
async function headOf(dir: string): Promise<string> {
  const gitDir = join(dir, '.git');
  if (!(await lstat(gitDir).catch(() => undefined))?.isDirectory()) throw new CacheDamage('the copy has no .git');
  const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
  if (/^[0-9a-f]{40}$/.test(head)) return head;
  const ref = /^ref: (refs\/heads\/\S+)$/.exec(head)?.[1];
  if (!ref) throw new CacheDamage('the copy has no HEAD');
  const commit = await refValue(gitDir, ref);
  if (!commit) throw new CacheDamage(`the copy has no ${ref}`);
  return commit;
}

/** What a ref names, from the repository's own files (loose, then packed): cheap, no git process. */
async function refValue(gitDir: string, ref: string): Promise<string | undefined> {
  const loose = await readFile(join(gitDir, ref), 'utf8').catch(() => undefined);
  if (loose) return loose.trim();
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  return packed
    .split('\n')
    .find((l) => l.endsWith(` ${ref}`))
    ?.slice(0, 40);
}

/** GitLab could not be reached or refused us: not the cache's fault, so it is kept. */
function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof HostGitError)) return false;
  if (error.reason === 'timeout' || error.reason === 'cancelled') return true;
  return /unable to access|Could not resolve|Failed to connect|Connection refused|timed out|Authentication failed|HTTP \d{3}|The requested URL returned|SSL|TLS|certificate|proxy|Empty reply|transfer closed|RPC failed|early EOF|remote end hung up/i.test(
    error.stderr,
  );
}
