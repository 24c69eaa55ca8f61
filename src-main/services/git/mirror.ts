import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../../platform/logger';
import { ASKPASS_PASSWORD_VAR, ASKPASS_USER_VAR, createGitHelperDir } from './askpass';
import { detectGit } from './cli-engine';
import { runHostGit, type HostGitHome, type HostGitResult } from './host-git';
import { withMirrorLock, type MirrorLockOptions } from './mirror-lock';

/**
 * The app's own bare repository per account and project: the only place the app runs git on a
 * project's history after a run (output detection, review diffs).
 *
 * Why a mirror and not the run's workspace: the workspace, its `.git` included, was written by the
 * agent. git would read its config (core.fsmonitor, core.sshCommand, diff drivers, url.insteadOf,
 * http.proxy, include.path …), run its hooks, follow its alternates and `gitdir:` files: code
 * execution on this computer and credentials sent where the agent chose. Everything the app needs
 * after a run is on GitLab already (the agent's work counts only once pushed, and the credential
 * gateway records what was pushed), so it is fetched from GitLab into this repository, which the
 * app created and configures alone, with the hardened host git of host-git.ts. The workspace is
 * never read by git, and credentials go only to processes that read nothing of it.
 *
 * Why host git and not isomorphic-git: diffs with rename detection and merge bases are git's own;
 * the repository being ours, running git on it executes nothing of the agent's. Without git
 * installed, `available()` is false and callers fall back (GitLab's diff, no commit list).
 *
 * The layout is `<root>/repos/<account>/<project id>.git`; one mirror's git work is serialised
 * with `exclusive` (ref locks; across processes too, mirror-lock.ts), different mirrors proceed in parallel. The clone cache
 * (clone-cache.ts) fetches into the same repositories and makes run workspaces from them
 * (`cloneInto`): a copy, never a link, so nothing in a workspace leads back here.
 */

export interface MirrorKey {
  accountId: string;
  /** GitLab's numeric project id: stable across renames and transfers. */
  projectId: number;
}

/** Credentials and network for fetching from GitLab as the account (never stored). */
export interface MirrorAccess {
  username: string;
  password: string;
  /** The CA bundle to trust instead of git's default store. */
  caPem?: string;
  /** The account's proxy; absent means a direct connection whatever the environment says. */
  proxyUrl?: string;
}

export interface Mirror {
  /** The bare repository's folder (app-owned). */
  readonly gitDir: string;
  /** Fetches refspecs from an http(s) URL as the account; `prune` drops refs GitLab no longer has. */
  fetch(
    url: string,
    refspecs: string[],
    access: MirrorAccess,
    options?: { prune?: boolean; signal?: AbortSignal },
  ): Promise<void>;
  /** A read-only git command in the mirror (log, diff, rev-parse …), bounded in time and output. */
  git(args: string[], options?: { maxBuffer?: number; timeoutMs?: number }): Promise<HostGitResult>;
  /** Runs work on this mirror after any other work queued on it (fetches take ref locks). */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /**
   * Makes a new repository at `dir` from this mirror, as `git clone <url>` would have made it:
   * objects copied (never hard-linked, no alternates), origin set to `url`, the branch checked out.
   * The caller holds `exclusive`.
   */
  cloneInto(dir: string, options: CloneIntoOptions): Promise<void>;
  /**
   * In a repository cloneInto just made at `dir` without a checkout, into which the files and index
   * of an earlier checkout of `from` were moved (prepared-checkout.ts): brings both to `to` as
   * `git checkout` would, writing only what differs between the two commits' trees.
   */
  advanceInto(dir: string, from: string, to: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** A cheap integrity check of the packs and loose refs git would read; the problem found, if any. */
  damage(): Promise<string | undefined>;
  /** Marks the mirror as just used (the clone cache evicts the least recently used first). */
  touch(): Promise<void>;
}

export interface CloneIntoOptions {
  /** origin's URL in the new repository (what a clone from GitLab would have written). */
  url: string;
  /** A branch or tag of the mirror to check out. */
  branch: string;
  /** Shallow copy of this many commits, as `git clone --depth` (which implies one branch). */
  depth?: number;
  /**
   * False: the repository without its files and index, for a checkout prepared earlier to be moved
   * in (prepared-checkout.ts), as `git clone --no-checkout`.
   */
  checkout?: boolean;
  /** Made for a later run, not for one that waits: it may yield the CPU. */
  background?: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** One mirror on disk, for the clone cache's size bound. */
export interface MirrorUsage {
  key: MirrorKey | undefined;
  gitDir: string;
  bytes: number;
  /** Whether it holds any objects (a mirror just created or discarded holds none). */
  filled: boolean;
  /** When it was last used for a run (ms since the epoch). */
  lastUsedMs: number;
}

export interface MirrorStore {
  /**
   * Whether a usable git (≥ 2.31) is installed: without it a mirror opens, but its git commands
   * (fetch, git, cloneInto) fail; the isomorphic-git cache (isomorphic-mirror.ts) uses none of them.
   */
  available(): Promise<boolean>;
  /** The mirror of one project as one account sees it, created empty the first time. */
  open(key: MirrorKey): Promise<Mirror>;
  /** Every mirror on disk with its size; a mirror being replaced is counted once. */
  usage(): Promise<MirrorUsage[]>;
  /**
   * Replaces a mirror by an empty one, after any work queued on it (a run copying from it finishes
   * first); open Mirror handles stay valid and refill it on their next fetch.
   */
  discard(gitDir: string): Promise<void>;
}

export interface MirrorStoreDeps {
  /** The app-owned folder for mirrors (under the app's data directory). */
  root: string;
  logger: Logger;
  gitPath?: string;
  /** Bound for one fetch (default 10 min) and for one read command (default 2 min). */
  fetchTimeoutMs?: number;
  readTimeoutMs?: number;
  /** Unit tests of callers fetch from local bare repositories (file:// URLs); the app never sets it. */
  allowFileUrls?: boolean;
  /** How long to wait for another process's work on a mirror, and when its lock counts as stale. */
  lock?: Pick<MirrorLockOptions, 'waitMs' | 'staleMs'>;
}

export function createMirrorStore(deps: MirrorStoreDeps): MirrorStore {
  const log = deps.logger.child({ service: 'git-mirror' });
  const gitPath = deps.gitPath ?? 'git';
  const home: HostGitHome = {
    home: join(deps.root, 'home'),
    globalConfig: join(deps.root, 'home', '.gitconfig'),
    noHooks: join(deps.root, 'home', 'no-hooks'),
    noAttributes: join(deps.root, 'home', 'no-attributes'),
  };
  let installed: Promise<boolean> | undefined;
  let prepared: Promise<void> | undefined;
  const locks = new Map<string, Promise<unknown>>();
  const opening = new Map<string, Promise<Mirror>>();

  const prepareHome = () =>
    (prepared ??= (async () => {
      await mkdir(home.noHooks, { recursive: true, mode: 0o700 });
      await writeFile(home.globalConfig, '', { mode: 0o600 });
      await writeFile(home.noAttributes, '', { mode: 0o600 });
    })().catch((error: unknown) => {
      prepared = undefined;
      throw error;
    }));

  // Queued here within this process, and under the mirror's lock file against other processes
  // (the `cospec` command beside the app: mirror-lock.ts).
  const exclusive = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const next = (locks.get(key) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => withMirrorLock(key, work, { logger: log, ...deps.lock }));
    locks.set(key, next);
    void next.finally(() => locks.get(key) === next && locks.delete(key)).catch(() => undefined);
    return next;
  };

  function mirrorAt(gitDir: string): Mirror {
    const read = (args: string[], options: { maxBuffer?: number; timeoutMs?: number } = {}) =>
      runHostGit({
        gitPath,
        gitDir,
        home,
        args,
        maxBuffer: options.maxBuffer,
        timeoutMs: options.timeoutMs ?? deps.readTimeoutMs ?? 120_000,
      });
    return {
      gitDir,
      git: read,
      exclusive: (work) => exclusive(gitDir, work),
      async fetch(url, refspecs, access, options = {}) {
        assertFetchUrl(url, deps.allowFileUrls === true);
        const helper = await createGitHelperDir(access.caPem);
        try {
          // Every fetch stays a pack (no loose objects): the clone cache checks packs cheaply (damage()).
          const config: Array<[string, string]> = [
            ['fetch.unpackLimit', '1'],
            ['transfer.unpackLimit', '1'],
          ];
          const env: Record<string, string> = {
            GIT_ASKPASS: helper.askpassPath,
            [ASKPASS_USER_VAR]: access.username,
            [ASKPASS_PASSWORD_VAR]: access.password,
          };
          if (helper.caPath) {
            config.push(['http.sslCAInfo', helper.caPath], ['http.proxySSLCAInfo', helper.caPath]);
            env.GIT_SSL_CAINFO = helper.caPath;
          }
          if (deps.allowFileUrls && url.startsWith('file:')) config.push(['protocol.file.allow', 'always']);
          if (access.proxyUrl) config.push(['http.proxy', access.proxyUrl]);
          else env.NO_PROXY = env.no_proxy = '*';
          const started = Date.now();
          await runHostGit({
            gitPath,
            gitDir,
            home,
            // `--` so a URL can never be read as an option.
            args: [
              'fetch',
              '--no-tags',
              '--no-write-fetch-head',
              '--no-recurse-submodules',
              '--quiet',
              ...(options.prune ? ['--prune'] : []),
              '--',
              url,
              ...refspecs,
            ],
            config,
            env,
            maxBuffer: 4 * 1024 * 1024,
            timeoutMs: deps.fetchTimeoutMs ?? 600_000,
            signal: options.signal,
          });
          log.debug('mirror fetched', { gitDir, refspecs: refspecs.length, ms: Date.now() - started });
        } finally {
          await helper.dispose();
        }
      },
      cloneInto: (dir, options) => cloneInto(gitDir, dir, options),
      advanceInto: (dir, from, to, options) => advanceInto(dir, from, to, options?.signal),
      damage: () => packDamage(gitDir),
      async touch() {
        const now = new Date();
        await utimes(gitDir, now, now).catch(() => undefined);
      },
    };
  }

  async function cloneInto(gitDir: string, dir: string, options: CloneIntoOptions): Promise<void> {
    // A path clone copies the object files (--no-hardlinks: a copy, so root in the container cannot
    // write through a shared inode); a shallow one needs the file:// transport, which packs afresh.
    const source = options.depth === undefined ? gitDir : pathToFileURL(gitDir).href;
    const started = Date.now();
    await runHostGit({
      gitPath,
      gitDir,
      home,
      args: [
        'clone',
        '--quiet',
        '--no-hardlinks',
        '--origin',
        'origin',
        '--branch',
        options.branch,
        ...(options.depth === undefined ? [] : ['--depth', String(options.depth)]),
        ...(options.checkout === false ? ['--no-checkout'] : []),
        '--',
        source,
        dir,
      ],
      config: [
        ['protocol.file.allow', 'always'],
        // The checkout of thousands of files is most of a repeat run's wait: one worker per core
        // (git's parallel checkout, 2.32+; older git ignores the key).
        ['checkout.workers', '0'],
      ],
      timeoutMs: options.timeoutMs ?? deps.fetchTimeoutMs ?? 600_000,
      signal: options.signal,
      ...(options.background ? { lowPriority: true } : {}),
    });
    const copied = Date.now();
    const newGitDir = join(dir, '.git');
    // A clone with no alternates file: the objects are the copy's own (checked, not assumed).
    if (await lstat(join(newGitDir, 'objects', 'info', 'alternates')).catch(() => undefined))
      throw new Error('the copy of the mirror has an alternates file');
    if (!(await setOriginUrl(newGitDir, source, options.url)))
      await runHostGit({ gitPath, gitDir: newGitDir, home, args: ['config', 'remote.origin.url', options.url] });
    // The reflogs say "clone: from <source>": name GitLab, as a clone from it would, not our folder.
    await rewriteReflogs(join(newGitDir, 'logs'), source, options.url);
    log.debug('mirror copied', { gitDir, cloneMs: copied - started, afterMs: Date.now() - copied });
  }

  async function advanceInto(dir: string, from: string, to: string, signal?: AbortSignal): Promise<void> {
    for (const commit of [from, to])
      if (!/^[0-9a-f]{40}$/.test(commit)) throw new Error(`not a commit id: ${commit.slice(0, 60)}`);
    const started = Date.now();
    // A two-tree merge is git's own branch switch: the index must describe `from`'s files exactly
    // (it does: both were made together and the files are checked against their fingerprint), git
    // refuses to overwrite anything that differs, never writes through a symlink, and leaves the
    // index at `to`. The repository and its work tree are the app's own, made from this mirror,
    // which no container has seen yet: nothing in them was written by an agent.
    await runHostGit({
      gitPath,
      gitDir: join(dir, '.git'),
      workTree: dir,
      home,
      args: ['read-tree', '-m', '-u', from, to],
      config: [['checkout.workers', '0']],
      timeoutMs: deps.fetchTimeoutMs ?? 600_000,
      signal,
    });
    log.debug('prepared checkout advanced', { dir, from, to, ms: Date.now() - started });
  }

  async function usage(): Promise<MirrorUsage[]> {
    const repos = join(deps.root, 'repos');
    const found: MirrorUsage[] = [];
    for (const account of await readdir(repos).catch(() => [] as string[])) {
      for (const name of await readdir(join(repos, account)).catch(() => [] as string[])) {
        const m = /^(\d+)\.git$/.exec(name);
        if (!m) continue;
        const gitDir = join(repos, account, name);
        const info = await stat(gitDir).catch(() => undefined);
        if (!info?.isDirectory()) continue;
        found.push({
          key: { accountId: account, projectId: Number(m[1]) },
          gitDir,
          bytes: await folderBytes(gitDir),
          filled: (await readdir(join(gitDir, 'objects', 'pack')).catch(() => [] as string[])).some((f) =>
            f.endsWith('.pack'),
          ),
          lastUsedMs: info.mtimeMs,
        });
      }
    }
    return found;
  }

  async function discard(gitDir: string): Promise<void> {
    if (relative(join(deps.root, 'repos'), gitDir).startsWith('..')) throw new Error(`${gitDir} is not a mirror`);
    await exclusive(gitDir, async () => {
      const trash = `${gitDir}.old-${randomBytes(4).toString('hex')}`;
      const moved = await rename(gitDir, trash).then(
        () => true,
        () => false,
      );
      await create(gitDir);
      if (moved) await rm(trash, { recursive: true, force: true, maxRetries: 3 });
      log.info('mirror discarded', { gitDir });
    });
  }

  async function create(gitDir: string): Promise<void> {
    const info = await lstat(gitDir).catch(() => undefined);
    if (info?.isDirectory()) return;
    // Anything else at our path (a file, a link) is not ours to use: start again.
    if (info) await rm(gitDir, { recursive: true, force: true });
    const staging = `${gitDir}.new-${randomBytes(4).toString('hex')}`;
    try {
      await initBare(staging);
      await rename(staging, gitDir);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      // Another process made it meanwhile: use theirs.
      if ((await lstat(gitDir).catch(() => undefined))?.isDirectory()) return;
      throw error;
    }
  }

  return {
    available: () => (installed ??= detectGit(gitPath).then((found) => found !== undefined)),

    open(key) {
      const gitDir = join(deps.root, 'repos', safeSegment(key.accountId), `${key.projectId}.git`);
      const pending = opening.get(gitDir);
      if (pending) return pending;
      const made = (async () => {
        await prepareHome();
        await mkdir(join(gitDir, '..'), { recursive: true, mode: 0o700 });
        await exclusive(gitDir, () => create(gitDir));
        return mirrorAt(gitDir);
      })();
      opening.set(gitDir, made);
      made.catch(() => opening.delete(gitDir));
      return made;
    },

    usage,
    discard,
  };
}

/**
 * An empty bare repository, as `git init --bare --template=` writes it: no hooks, no info/, nothing
 * but HEAD, the config and the object and ref folders. Written here rather than by git so both
 * clone paths can create mirrors, the isomorphic-git one without git installed.
 */
async function initBare(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const sub of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags'])
    await mkdir(join(dir, sub), { recursive: true });
  await writeFile(join(dir, 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(join(dir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n');
}

/** Bytes of the files under a folder (links not followed). */
async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(path);
    else if (entry.isFile()) total += (await lstat(path).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

/**
 * origin's URL in a repository `git clone` just wrote from `source`, set by replacing the one line
 * clone wrote, as `git config` would: a git process less on every run's copy (20-80 ms here). Only
 * where both values are plain (nothing git would quote or escape) and the line is exactly where
 * clone puts it; false otherwise, and the caller asks `git config`. The new file replaces the old
 * by rename, as git's own lock file does.
 */
async function setOriginUrl(gitDir: string, source: string, url: string): Promise<boolean> {
  const plain = (value: string) => /^[A-Za-z0-9._~:/?=&%@+,-]+$/.test(value);
  if (!plain(source) || !plain(url)) return false;
  const path = join(gitDir, 'config');
  const text = await readFile(path, 'utf8').catch(() => '');
  const written = `\n[remote "origin"]\n\turl = ${source}\n`;
  const at = text.indexOf(written);
  if (at < 0 || text.indexOf(written, at + 1) >= 0) return false;
  const lock = `${path}.lock`;
  const mode = (await stat(path)).mode & 0o777;
  await writeFile(lock, text.replace(written, `\n[remote "origin"]\n\turl = ${url}\n`), { flag: 'wx', mode });
  await rename(lock, path);
  return true;
}

async function rewriteReflogs(dir: string, from: string, to: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await rewriteReflogs(path, from, to);
    else if (entry.isFile()) {
      const text = await readFile(path, 'utf8');
      if (text.includes(from)) await writeFile(path, text.split(`clone: from ${from}`).join(`clone: from ${to}`));
    }
  }
}

/**
 * Damage git would trip over (or worse, not notice) when copying the mirror: a pack without its
 * index, a pack whose trailing checksum is not the one its index was made for (truncated or
 * overwritten), an index shorter than its header and checksums, or a loose ref that is not an
 * object id. Reads a few bytes per file, never whole packs.
 */
export async function packDamage(gitDir: string): Promise<string | undefined> {
  const packDir = join(gitDir, 'objects', 'pack');
  const names = await readdir(packDir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.pack'))) {
    const base = name.slice(0, -'.pack'.length);
    if (!names.includes(`${base}.idx`)) return `${name} has no index`;
    const pack = await tail(join(packDir, name), 20, 12);
    const idx = await tail(join(packDir, `${base}.idx`), 40, 8 + 256 * 4 + 40);
    if (!pack) return `${name} is truncated`;
    if (!idx) return `${base}.idx is truncated`;
    if (!pack.head.subarray(0, 4).equals(Buffer.from('PACK'))) return `${name} is not a pack`;
    if (!pack.tail.equals(idx.tail.subarray(0, 20))) return `${name} does not match its index (truncated or changed)`;
  }
  const bad = await badLooseRef(join(gitDir, 'refs'));
  if (bad) return `the ref ${relative(gitDir, bad)} is damaged`;
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    if (!/^(\^)?[0-9a-f]{40}( \S+)?$/.test(line)) return 'packed-refs is damaged';
  }
  return undefined;
}

async function tail(path: string, bytes: number, minSize: number): Promise<{ head: Buffer; tail: Buffer } | undefined> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    if (size < minSize + bytes) return undefined;
    const head = Buffer.alloc(4);
    const end = Buffer.alloc(bytes);
    await file.read(head, 0, 4, 0);
    await file.read(end, 0, bytes, size - bytes);
    return { head, tail: end };
  } finally {
    await file.close();
  }
}

async function badLooseRef(dir: string): Promise<string | undefined> {
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const bad = await badLooseRef(path);
      if (bad) return bad;
    } else if (entry.isFile() && !entry.name.endsWith('.lock')) {
      const text = await readFile(path, 'utf8').catch(() => '');
      if (!/^[0-9a-f]{40}\n?$/.test(text) && !/^ref: refs\/\S+\n?$/.test(text)) return path;
    }
  }
  return undefined;
}

/** An account id as one folder name: kept when plainly safe, else hashed. */
function safeSegment(id: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : createHash('sha256').update(id).digest('hex').slice(0, 32);
}

function assertFetchUrl(url: string, allowFile: boolean): void {
  const parsed = new URL(url);
  if (allowFile && parsed.protocol === 'file:') return;
  if (!/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password)
    throw new Error(`refusing to fetch from ${parsed.protocol}//${parsed.host}: only http(s) URLs without credentials`);
}
