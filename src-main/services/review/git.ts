import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { CospecError } from '../../../src-shared/ipc/errors';

/** How to reach the instance over git's smart HTTP as the run's account. */
export interface GitAccess {
  username: string;
  password: string;
  /** The CA bundle to trust instead of git's default (absent: the default store). */
  caPem?: string;
  /** The proxy the account's API calls use; absent means a direct connection. */
  proxyUrl?: string;
  /** The account's undici dispatcher (its proxy and CA), for isomorphic-git; absent: the global one. */
  dispatcher?: Dispatcher;
}

const PROXY_ENV = [
  'http_proxy',
  'https_proxy',
  'all_proxy',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'no_proxy',
  'NO_PROXY',
];

/** The plain environment for local git commands: no prompts, no user pager or external diff tools. */
function baseEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C', GIT_OPTIONAL_LOCKS: '0' };
}

export interface GitResult {
  stdout: string;
  stderr: string;
}

/** Runs git in a repository; failures keep git's stderr as detail (it never holds our token, which travels in the environment). */
export function git(
  repo: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; maxBuffer?: number } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-C', repo, '-c', 'core.quotepath=false', ...args],
      { env: options.env ?? baseEnv(), maxBuffer: options.maxBuffer ?? 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          const wrapped = new GitCommandError(
            args[0] ?? 'git',
            stderr || error.message,
            (error as { code?: unknown }).code,
          );
          reject(wrapped);
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

export class GitCommandError extends Error {
  constructor(
    readonly subcommand: string,
    readonly stderr: string,
    readonly exitCode: unknown,
  ) {
    super(`git ${subcommand} failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
  }
}

let gitVersion: Promise<string | undefined> | undefined;

/** The installed git's version, or undefined when there is no git on PATH (the app can clone without it). */
export function installedGit(): Promise<string | undefined> {
  gitVersion ??= new Promise((resolve) => {
    execFile('git', ['--version'], { env: baseEnv() }, (error, stdout) =>
      resolve(error ? undefined : String(stdout).trim()),
    );
  });
  return gitVersion;
}

/** Whether the object exists in the repository as a commit. */
export async function hasCommit(repo: string, sha: string): Promise<boolean> {
  try {
    await git(repo, ['cat-file', '-e', `${sha}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether every sha names a commit in the repository, with one git process (false also when the
 * folder is no repository or git is missing: callers then look closer).
 */
export async function haveCommits(repo: string, shas: string[]): Promise<boolean> {
  try {
    // Revisions then `--`: a missing one is an error, never read as a path.
    await git(repo, ['rev-parse', '--quiet', ...shas.map((sha) => `${sha}^{commit}`), '--']);
    return true;
  } catch {
    return false;
  }
}

/** Whether the folder is a git repository we can read. */
export async function isRepository(repo: string): Promise<boolean> {
  try {
    await git(repo, ['rev-parse', '--git-dir']);
    return true;
  } catch {
    return false;
  }
}

/** The commit a ref or sha names in the repository, or undefined. */
export async function resolveCommit(repo: string, ref: string): Promise<string | undefined> {
  try {
    return (await git(repo, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function mergeBase(repo: string, a: string, b: string): Promise<string | undefined> {
  try {
    return (await git(repo, ['merge-base', a, b])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fetches refspecs from a URL as the account. The token goes to git through GIT_CONFIG_* variables
 * (an Authorization header), so it never appears in argv (visible to every local user in ps) nor in
 * the repository's config; the user's credential helpers are switched off so nothing is stored or prompted.
 */
export async function fetchAs(repo: string, url: string, refspecs: string[], access: GitAccess): Promise<void> {
  const config: Array<[string, string]> = [
    ['credential.helper', ''],
    [
      'http.extraHeader',
      `Authorization: Basic ${Buffer.from(`${access.username}:${access.password}`).toString('base64')}`,
    ],
  ];
  let caDir: string | undefined;
  const env = baseEnv();
  // The account's network decision (direct or one proxy) wins over whatever the environment says.
  for (const name of PROXY_ENV) delete env[name];
  // Certificate checks follow the account's settings only, never a stray variable.
  delete env.GIT_SSL_NO_VERIFY;
  try {
    if (access.caPem) {
      caDir = await mkdtemp(join(tmpdir(), 'cospec-review-ca-'));
      const caFile = join(caDir, 'ca.pem');
      await writeFile(caFile, access.caPem, { mode: 0o600 });
      config.push(['http.sslCAInfo', caFile]);
      // The environment's GIT_SSL_CAINFO would win over the config; the account's bundle must.
      env.GIT_SSL_CAINFO = caFile;
      delete env.GIT_SSL_CAPATH;
    }
    if (access.proxyUrl) config.push(['http.proxy', access.proxyUrl]);
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
    // `--` so a URL from an API answer can never be read as an option.
    await git(repo, ['fetch', '--no-tags', '--no-write-fetch-head', '--quiet', '--', url, ...refspecs], { env });
  } finally {
    if (caDir) await rm(caDir, { recursive: true, force: true });
  }
}

/** Any failure of a local git command as DIFF_UNAVAILABLE, so the caller can fall back to GitLab's diff. */
export function diffFailed(error: unknown): CospecError {
  if (error instanceof CospecError) return error;
  const detail = error instanceof GitCommandError ? error.stderr.trim() : String(error);
  return new CospecError('DIFF_UNAVAILABLE', 'git could not compute the diff in the run’s clone.', detail);
}

/** Maps a failed fetch to an error the user can act on. */
export function fetchFailed(error: unknown, what: string): CospecError {
  const detail = error instanceof GitCommandError ? error.stderr.trim() : String(error);
  return new CospecError(
    'DIFF_UNAVAILABLE',
    `Could not fetch ${what} from GitLab to compute the diff locally.`,
    detail,
  );
}
