import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../platform/logger';
import { ASKPASS_PASSWORD_VAR, ASKPASS_USER_VAR, createGitHelperDir } from './askpass';
import { detectGit } from './cli-engine';
import { runHostGit, type HostGitHome, type HostGitResult } from './host-git';

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
 * with `exclusive` (ref locks), different mirrors proceed in parallel. A later clone cache can
 * fetch into the same repositories.
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
}

export interface MirrorStore {
  /** Whether a usable git (≥ 2.31) is installed; without it no mirror can be opened. */
  available(): Promise<boolean>;
  /** The mirror of one project as one account sees it, created empty the first time. */
  open(key: MirrorKey): Promise<Mirror>;
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

  const exclusive = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const next = (locks.get(key) ?? Promise.resolve()).catch(() => undefined).then(work);
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
          const config: Array<[string, string]> = [];
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
    };
  }

  async function create(gitDir: string): Promise<void> {
    const info = await lstat(gitDir).catch(() => undefined);
    if (info?.isDirectory()) return;
    // Anything else at our path (a file, a link) is not ours to use: start again.
    if (info) await rm(gitDir, { recursive: true, force: true });
    const staging = `${gitDir}.new-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(staging, { recursive: true, mode: 0o700 });
      // No templates: a bare repository with nothing in hooks/ or info/ but what git writes itself.
      await runHostGit({ gitPath, gitDir: staging, home, args: ['init', '--bare', '--quiet', '--template=', staging] });
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
  };
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
