import type { Dispatcher } from 'undici';
import { CospecError } from '../../../src-shared/ipc/errors';
import { HostGitError, isObjectId, type HostGitResult } from '../git/host-git';

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

/**
 * Where review runs git: the project's app-owned mirror (git/mirror.ts), never a run's workspace.
 * A narrow seam so the diff code does not depend on how the repository is kept.
 */
export interface RepoGit {
  git(args: string[], options?: { maxBuffer?: number; timeoutMs?: number }): Promise<HostGitResult>;
}

/** Whether the object exists in the repository as a commit. */
export async function hasCommit(repo: RepoGit, sha: string): Promise<boolean> {
  return haveCommits(repo, [sha]);
}

/** Whether every sha names a commit in the repository, with one git process. */
export async function haveCommits(repo: RepoGit, shas: string[]): Promise<boolean> {
  // Only object ids reach git here: the shas come from GitLab's answers.
  if (!shas.every(isObjectId)) return false;
  try {
    // Revisions then `--`: a missing one is an error, never read as a path.
    await repo.git(['rev-parse', '--quiet', ...shas.map((sha) => `${sha}^{commit}`), '--']);
    return true;
  } catch {
    return false;
  }
}

/** The commit a ref (one of ours) names in the repository, or undefined. */
export async function resolveCommit(repo: RepoGit, ref: string): Promise<string | undefined> {
  try {
    return (await repo.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function mergeBase(repo: RepoGit, a: string, b: string): Promise<string | undefined> {
  try {
    return (await repo.git(['merge-base', a, b])).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Any failure of a local git command as DIFF_UNAVAILABLE, so the caller can fall back to GitLab's diff. */
export function diffFailed(error: unknown): CospecError {
  if (error instanceof CospecError) return error;
  const detail = error instanceof HostGitError ? error.stderr.trim() : String(error);
  return new CospecError('DIFF_UNAVAILABLE', 'git could not compute the diff from the project’s copy.', detail);
}

/** Maps a failed fetch to an error the user can act on. */
export function fetchFailed(error: unknown, what: string): CospecError {
  const detail = error instanceof HostGitError ? error.stderr.trim() : String(error);
  return new CospecError(
    'DIFF_UNAVAILABLE',
    `Could not fetch ${what} from GitLab to compute the diff locally.`,
    detail,
  );
}
