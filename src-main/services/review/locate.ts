import { CospecError } from '../../../src-shared/ipc/errors';
import { isSafeBranchName } from '../git/host-git';
import type { Mirror } from '../git/mirror';
import { fetchFailed, hasCommit, haveCommits, mergeBase, resolveCommit, type GitAccess } from './git';
import type { ApiMergeRequest } from './merge-request';

/** The two commits the MR's diff is between, both present in the local repository. */
export interface DiffRange {
  baseSha: string;
  headSha: string;
  /** GitLab's start_sha (the target tip it diffed against), needed to anchor line comments. */
  startSha: string;
}

export interface LocateRequest {
  /** The project's app-owned mirror (git/mirror.ts); the caller holds its exclusive lock. */
  mirror: Mirror;
  mr: ApiMergeRequest;
  /** Clone URLs of the MR's target project and (for a fork) its source project. */
  targetUrl: string;
  sourceUrl: string;
  access: () => Promise<GitAccess>;
}

/** Refs of our own in the mirror, outside refs/heads (which mirrors GitLab's branches for run outputs). */
export function reviewRefs(iid: number) {
  return { head: `refs/cospec/review/${iid}/head`, target: `refs/cospec/review/${iid}/target` };
}

/**
 * Finds the MR's base and head in the project's mirror, fetching the source and target branches
 * from GitLab when the commits are not there yet (first review, new pushes, the target moved).
 * With GitLab's diff_refs the range is exactly GitLab's; without them it is merge-base(target, source)..source.
 */
export async function locateRange(req: LocateRequest): Promise<DiffRange> {
  const { mirror: repo, mr } = req;
  const wanted = mr.diff_refs;
  const complete = wanted?.base_sha && wanted.head_sha;
  // The usual case (the mirror has both commits) costs one git process; anything else is looked at closely below.
  if (complete && (await haveCommits(repo, [wanted.base_sha as string, wanted.head_sha as string]))) {
    return {
      baseSha: wanted.base_sha as string,
      headSha: wanted.head_sha as string,
      startSha: wanted.start_sha ?? (wanted.base_sha as string),
    };
  }
  // Branch names come from GitLab's answer, which repeats what the agent chose: they go into a refspec.
  for (const name of [mr.target_branch, mr.source_branch])
    if (!isSafeBranchName(name))
      throw new CospecError('DIFF_UNAVAILABLE', `The branch name "${name.slice(0, 100)}" cannot be fetched safely.`);
  const refs = reviewRefs(mr.iid);
  const access = await req.access();
  const fetchAs = (url: string, refspecs: string[]) => repo.fetch(url, refspecs, access);
  try {
    await fetchAs(req.targetUrl, [`+refs/heads/${mr.target_branch}:${refs.target}`]);
  } catch (error) {
    throw fetchFailed(error, `the target branch ${mr.target_branch}`);
  }
  try {
    await fetchAs(req.sourceUrl, [`+refs/heads/${mr.source_branch}:${refs.head}`]);
  } catch (sourceError) {
    // A merged MR's source branch is often deleted; GitLab keeps the MR's head under refs/merge-requests.
    try {
      await fetchAs(req.targetUrl, [`+refs/merge-requests/${mr.iid}/head:${refs.head}`]);
    } catch {
      throw fetchFailed(sourceError, `the source branch ${mr.source_branch}`);
    }
  }

  if (
    complete &&
    (await hasCommit(repo, wanted.base_sha as string)) &&
    (await hasCommit(repo, wanted.head_sha as string))
  ) {
    return {
      baseSha: wanted.base_sha as string,
      headSha: wanted.head_sha as string,
      startSha: wanted.start_sha ?? (wanted.base_sha as string),
    };
  }
  const headSha = await resolveCommit(repo, refs.head);
  const targetSha = await resolveCommit(repo, refs.target);
  if (!headSha || !targetSha)
    throw new CospecError('DIFF_UNAVAILABLE', `The branches of !${mr.iid} could not be read after fetching them.`);
  const baseSha = await mergeBase(repo, targetSha, headSha);
  if (!baseSha)
    throw new CospecError(
      'DIFF_UNAVAILABLE',
      `${mr.source_branch} and ${mr.target_branch} share no history, so there is no diff to review.`,
    );
  return { baseSha, headSha, startSha: targetSha };
}
