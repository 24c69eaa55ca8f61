import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import type { Logger } from '../../platform/logger';
import { stopwatch } from '../../platform/stopwatch';
import { cancelledError } from './errors';
import { HostGitError, isSafeBranchName } from './host-git';
import { createIsomorphicMirrorOps } from './isomorphic-mirror';
import type { Mirror, MirrorAccess, MirrorKey, MirrorStore } from './mirror';
import type { MirrorOps, MirrorUpdate } from './mirror-ops';
import { tracksLfs } from './lfs';
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
}

/** GitLab's branches and tags, exactly: forced (force-pushes), pruned (deleted branches and tags). */
const REFSPECS = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];

export function createCloneCache(deps: CloneCacheDeps): CloneCache {
  const log = deps.logger.child({ service: 'clone-cache' });
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const p = work.catch((error: unknown) => log.warn('clone cache background work failed', { error }));
    background.add(p);
    void p.finally(() => background.delete(p));
  };

  async function update(mirror: Mirror, req: MirrorUpdate): Promise<void> {
    await mirror.fetch(req.fetchUrl, REFSPECS, await req.access(), { prune: true, signal: req.signal });
    if (!isSafeBranchName(req.defaultBranch)) return;
    // HEAD is our own file: a git process only when GitLab's default branch changed.
    const head = `ref: refs/heads/${req.defaultBranch}`;
    const now = await readFile(join(mirror.gitDir, 'HEAD'), 'utf8').catch(() => '');
    if (now.trim() !== head) await mirror.git(['symbolic-ref', 'HEAD', `refs/heads/${req.defaultBranch}`]);
  }

  async function stats(): Promise<CloneCacheStats> {
    const all = await deps.mirrors.usage();
    return {
      bytes: all.reduce((sum, m) => sum + m.bytes, 0),
      projects: all.filter((m) => m.filled).length,
      maxBytes: deps.maxBytes(),
    };
  }

  /** Discards least recently used mirrors until all fit under the bound. */
  async function evict(): Promise<void> {
    const max = deps.maxBytes();
    const all = (await deps.mirrors.usage()).sort((a, b) => a.lastUsedMs - b.lastUsedMs);
    let total = all.reduce((sum, m) => sum + m.bytes, 0);
    for (const m of all) {
      if (total <= max) break;
      if (!m.filled) continue;
      log.info('clone cache over its bound; discarding the least recently used project', {
        gitDir: m.gitDir,
        bytes: m.bytes,
        total,
        max,
      });
      await deps.mirrors.discard(m.gitDir);
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
    const result = await mirror
      .exclusive(async () => {
        clock.lap('lockWaitMs');
        const before = await mirror.damage();
        if (before) throw new CacheDamage(before);
        clock.lap('checkMs');
        req.onProgress?.('Updating the project’s cache', 0);
        await ops.update(mirror, req);
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
          await ops.copy(mirror, staging.path, {
            url: req.url,
            branch: req.branch,
            ...(req.depth !== undefined ? { depth: req.depth } : {}),
            ...(req.signal ? { signal: req.signal } : {}),
          });
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
        await deps.mirrors.discard(mirror.gitDir).catch((e: unknown) => log.warn('discard failed', { error: e }));
        return undefined;
      });
    log.debug('clone cache timings', { ...fields, ...clock.laps, totalMs: Date.now() - started });
    if (result === 'lfs') {
      log.info('project tracks files with Git LFS, which the clone cache cannot fetch; cloning directly', fields);
      return result;
    }
    if (result) {
      log.info('workspace made from the clone cache', { ...fields, ms: Date.now() - started, head: result.head });
      req.onProgress?.('Done', 100);
      track(ops.compact(mirror, deps.maxPacks ?? 16, req).then(evict));
    }
    return result;
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
      if (made !== 'lfs') this.refill(req);
      return { head, cached: false };
    },

    refill(req) {
      const ops = opsFor(req.engine);
      track(
        (async () => {
          if (!(await ops.available())) return;
          const mirror = await deps.mirrors.open(req.key);
          // discard takes the mirror's lock itself.
          if (await mirror.exclusive(() => mirror.damage())) await deps.mirrors.discard(mirror.gitDir);
          await mirror.exclusive(() => ops.update(mirror, req));
          await mirror.touch();
          await evict();
        })(),
      );
    },

    stats,

    async clear() {
      for (const m of await deps.mirrors.usage()) await deps.mirrors.discard(m.gitDir);
      log.info('clone cache cleared');
      return stats();
    },

    async settled() {
      while (background.size) await Promise.allSettled([...background]);
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
  const loose = await readFile(join(gitDir, ref), 'utf8').catch(() => undefined);
  if (loose) return loose.trim();
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
  if (!line) throw new CacheDamage(`the copy has no ${ref}`);
  return line.slice(0, 40);
}

/** GitLab could not be reached or refused us: not the cache's fault, so it is kept. */
function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof HostGitError)) return false;
  if (error.reason === 'timeout' || error.reason === 'cancelled') return true;
  return /unable to access|Could not resolve|Failed to connect|Connection refused|timed out|Authentication failed|HTTP \d{3}|The requested URL returned|SSL|TLS|certificate|proxy|Empty reply|transfer closed|RPC failed|early EOF|remote end hung up/i.test(
    error.stderr,
  );
}
