import { CospecError } from '../../../src-shared/ipc/errors';
import {
  fetchAs,
  fetchFailed,
  hasCommit,
  haveCommits,
  installedGit,
  isRepository,
  mergeBase,
  resolveCommit,
  type GitAccess,
} from './git';
import type { ApiMergeRequest } from './merge-request';

/** The two commits the MR's diff is between, both present in the local repository. */
export interface DiffRange {
  baseSha: string;
  headSha: string;
  /** GitLab's start_sha (the target tip it diffed against), needed to anchor line comments. */
  startSha: string;
}

export interface LocateRequest {
  repo: string;
  mr: ApiMergeRequest;
  /** Clone URLs of the MR's target project and (for a fork) its source project. */
  targetUrl: string;
  sourceUrl: string;
  access: () => Promise<GitAccess>;
}

/** Local refs of our own, outside refs/heads, so the user's and the agent's branches are never touched. */
export function reviewRefs(iid: number) {
  return { head: `refs/cospec/review/${iid}/head`, target: `refs/cospec/review/${iid}/target` };
}

/**
 * Finds the MR's base and head in the run's clone, fetching the source and target branches from
 * GitLab when the commits are not there (the agent pushed from the container, or the target moved).
 * With GitLab's diff_refs the range is exactly GitLab's; without them it is merge-base(target, source)..source.
 */
export async function locateRange(req: LocateRequest): Promise<DiffRange> {
  const { repo, mr } = req;
  const wanted = mr.diff_refs;
  const complete = wanted?.base_sha && wanted.head_sha;
  // The usual case (the clone has both commits) costs one git process; anything else is looked at closely below.
  if (complete && (await haveCommits(repo, [wanted.base_sha as string, wanted.head_sha as string]))) {
    return {
      baseSha: wanted.base_sha as string,
      headSha: wanted.head_sha as string,
      startSha: wanted.start_sha ?? (wanted.base_sha as string),
    };
  }
  if (!(await installedGit())) {
    throw new CospecError(
      'DIFF_UNAVAILABLE',
      'git is not installed on this computer, so the diff could not be computed from the run’s clone.',
    );
  }
  if (!(await isRepository(repo))) {
    throw new CospecError(
      'DIFF_UNAVAILABLE',
      'The run’s clone is not there any more (it was removed or the run never cloned).',
    );
  }
  const refs = reviewRefs(mr.iid);
  const access = await req.access();
  try {
    await fetchAs(repo, req.targetUrl, [`+refs/heads/${mr.target_branch}:${refs.target}`], access);
  } catch (error) {
    throw fetchFailed(error, `the target branch ${mr.target_branch}`);
  }
  try {
    await fetchAs(repo, req.sourceUrl, [`+refs/heads/${mr.source_branch}:${refs.head}`], access);
  } catch (sourceError) {
    // A merged MR's source branch is often deleted; GitLab keeps the MR's head under refs/merge-requests.
    try {
      await fetchAs(repo, req.targetUrl, [`+refs/merge-requests/${mr.iid}/head:${refs.head}`], access);
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
