import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize } from 'node:path';
import git from 'isomorphic-git';
import type { CheckoutResult } from '../../../src-shared/model/review';
import { CospecError } from '../../../src-shared/ipc/errors';
import { undiciHttpClient, type CloneRequest, type CloneResult, type GitCredentials } from '../git';
import { mapIsomorphicError } from '../git/errors';
import type { GitAccess } from './git';
import type { ApiMergeRequest } from './merge-request';

/** The part of the git service a checkout needs (createGitService provides it). */
export interface ReviewCloner {
  clone(req: CloneRequest): Promise<CloneResult>;
}

export interface CheckoutRequest {
  /** Where the user wants the clone: absolute, and a new or empty folder. */
  dir: string;
  mr: ApiMergeRequest;
  /** Clone URLs on the account's own instance: the MR's source project (a fork, maybe) and its target project. */
  sourceUrl: string;
  targetUrl: string;
  access: () => Promise<GitAccess>;
  /** Reads the MR again, for when its branch moved while we cloned. */
  refresh: () => Promise<ApiMergeRequest>;
  cloner: ReviewCloner;
}

/** Refuses anything but an absolute path to a missing or empty folder, before any network work. */
export async function checkTargetDir(dir: string): Promise<string> {
  // A relative path would resolve against the main process's working directory, which the user never sees.
  if (!isAbsolute(dir)) throw new CospecError('INVALID_INPUT', `Pick a folder by its full path; "${dir}" is relative.`);
  const target = normalize(dir).replace(/[\\/]+$/, '') || dir;
  const info = await stat(target).catch(() => undefined);
  if (!info) return target;
  if (!info.isDirectory())
    throw new CospecError('INVALID_INPUT', `${target} is a file; pick a new or empty folder for the checkout.`);
  if ((await readdir(target)).length > 0) {
    throw new CospecError(
      'INVALID_INPUT',
      `The folder ${target} is not empty; pick a new or empty folder so nothing of yours is overwritten.`,
    );
  }
  return target;
}

/**
 * Clones the MR's source branch into a hidden sibling of the chosen folder, makes sure HEAD is the
 * MR's head commit (fetching GitLab's refs/merge-requests/<iid>/head when the branch is gone or
 * moved), and only then renames it into place: a failure at any step leaves nothing behind.
 */
export async function checkoutMergeRequest(req: CheckoutRequest): Promise<CheckoutResult> {
  const dir = await checkTargetDir(req.dir);
  let mr = req.mr;
  let sha = headOf(mr);
  const staging = join(dirname(dir), `.${basename(dir)}.cospec-checkout-${randomBytes(4).toString('hex')}`);
  const access = await req.access();
  const credentials = async (): Promise<GitCredentials> => ({ username: access.username, password: access.password });
  const clone = (url: string, branch: string) =>
    req.cloner.clone({
      url,
      dir: staging,
      branch,
      credentials,
      dispatcher: access.dispatcher,
      network: { caPem: access.caPem, proxyUrl: access.proxyUrl },
      engine: 'isomorphic-git',
    });
  try {
    let head: string;
    let sourceGone = false;
    try {
      head = (await clone(req.sourceUrl, mr.source_branch)).head;
    } catch (error) {
      // A merged MR's source branch is often deleted; start from the target branch and fetch the MR's own ref.
      if (!(error instanceof CospecError) || error.code !== 'NOT_FOUND') throw error;
      sourceGone = true;
      head = (await clone(req.targetUrl, mr.target_branch)).head;
    }
    if (!sourceGone && head !== sha) {
      // Someone pushed between reading the MR and cloning: GitLab's MR follows its branch, so read it again.
      mr = await req.refresh();
      sha = headOf(mr);
    }
    if (sourceGone || head !== sha) {
      const fetched = await fetchMergeRequestHead(staging, req.targetUrl, mr.iid, access);
      if (fetched !== sha) {
        throw new CospecError(
          'MR_HEAD_CHANGED',
          `The branch of !${mr.iid} moved while it was being checked out. Try again.`,
          `expected ${sha}, GitLab has ${fetched}`,
        );
      }
      // The local branch carries the MR's source branch name, at exactly the MR's head.
      await git.branch({ fs, dir: staging, ref: mr.source_branch, object: sha, force: true, checkout: false });
      await git.checkout({ fs, dir: staging, ref: mr.source_branch, force: true });
      head = await git.resolveRef({ fs, dir: staging, ref: 'HEAD' });
      if (head !== sha)
        throw new CospecError(
          'CLONE_FAILED',
          `The checkout of !${mr.iid} ended at ${head.slice(0, 8)} instead of its head commit ${sha.slice(0, 8)}.`,
        );
    }
    await checkTargetDir(dir);
    // An empty folder the user picked is replaced (a rename over a directory needs it gone on Windows).
    await rmdir(dir).catch(() => undefined);
    await rename(staging, dir).catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      // Another checkout (or the user) filled the folder while we cloned: theirs stays, ours goes.
      if (code === 'ENOTEMPTY' || code === 'EEXIST')
        throw new CospecError('INVALID_INPUT', `The folder ${dir} is no longer empty; pick another folder.`);
      throw new CospecError('CLONE_FAILED', `The checkout could not be moved into ${dir}.`, String(error));
    });
    return { dir, branch: mr.source_branch, head };
  } catch (error) {
    await rm(staging, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    throw error;
  }
}

function headOf(mr: ApiMergeRequest): string {
  const sha = mr.sha ?? mr.diff_refs?.head_sha;
  if (!sha) throw new CospecError('NOT_FOUND', `!${mr.iid} has no commits to check out.`);
  return sha;
}

/** Fetches GitLab's refs/merge-requests/<iid>/head (kept even after the source branch is deleted) and returns its commit. */
async function fetchMergeRequestHead(dir: string, url: string, iid: number, access: GitAccess): Promise<string> {
  const remoteRef = `refs/merge-requests/${iid}/head`;
  try {
    const result = await git.fetch({
      fs,
      http: undiciHttpClient({ dispatcher: access.dispatcher }),
      dir,
      url,
      remoteRef,
      singleBranch: true,
      tags: false,
      onAuth: () => ({ username: access.username, password: access.password }),
      onAuthFailure: () => ({ cancel: true }),
    });
    if (!result.fetchHead) throw new CospecError('NOT_FOUND', `GitLab has no ${remoteRef}.`);
    return result.fetchHead;
  } catch (error) {
    if (error instanceof CospecError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === 'NotFoundError')
      throw new CospecError(
        'NOT_FOUND',
        `The commits of !${iid} are no longer on GitLab (its branch was deleted and GitLab kept no copy).`,
        String(error),
      );
    throw mapIsomorphicError(error, { url });
  }
}
