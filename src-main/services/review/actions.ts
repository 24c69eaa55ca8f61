import { CospecError } from '../../../src-shared/ipc/errors';
import type { MergeInput, MergeRequestSummary } from '../../../src-shared/model/review';
import { gitlabMessage, type ReviewGitLab } from './gitlab-api';
import { fetchSummary, mrPath, type ApiMergeRequest, type ApiProject } from './merge-request';

/*
 * The state-changing calls. Each re-reads the MR first, so a repeated click (approve twice,
 * close a merged MR) gets a clear answer instead of GitLab's status codes, and answers with the
 * fresh summary so the UI never shows a stale button.
 */

/**
 * GitLab answers some refusals (a second approval, merging without permission) with 401. The
 * summary was just read with the same token, so a 401 here is a refusal, not a bad token.
 */
async function act(gl: ReviewGitLab, method: 'POST' | 'PUT', path: string, body: unknown, refusal: string) {
  try {
    return await gl.call(method, path, body);
  } catch (error) {
    if (error instanceof CospecError && error.code === 'UNAUTHORIZED')
      throw new CospecError('FORBIDDEN', refusal, error.message);
    throw error;
  }
}

function assertOpen(summary: MergeRequestSummary, action: string): void {
  if (summary.state !== 'opened') {
    throw new CospecError('MR_NOT_OPEN', `Can't ${action} !${summary.iid}: it is already ${summary.state}.`);
  }
}

export async function approve(gl: ReviewGitLab, project: ApiProject, iid: number): Promise<MergeRequestSummary> {
  const { summary } = await fetchSummary(gl, project, iid);
  assertOpen(summary, 'approve');
  if (summary.approvals?.userHasApproved) return summary;
  const answer = await act(
    gl,
    'POST',
    `${mrPath(project, iid)}/approve`,
    {},
    `${gl.host} refused the approval of !${iid} by this account.`,
  );
  if (answer.status === 403 || answer.status === 405) {
    throw new CospecError(
      'FORBIDDEN',
      `This account may not approve !${iid} (the project may forbid approvals by the author or by this role).`,
      gitlabMessage(answer),
    );
  }
  if (answer.status === 404) throw new CospecError('NOT_FOUND', `${gl.host} does not offer approvals for !${iid}.`);
  if (answer.status >= 400)
    throw new CospecError(
      'SERVER_ERROR',
      `${gl.host} did not record the approval (${answer.status}).`,
      gitlabMessage(answer),
    );
  return (await fetchSummary(gl, project, iid)).summary;
}

export async function unapprove(gl: ReviewGitLab, project: ApiProject, iid: number): Promise<MergeRequestSummary> {
  const { summary } = await fetchSummary(gl, project, iid);
  assertOpen(summary, 'revoke the approval of');
  if (summary.approvals && !summary.approvals.userHasApproved) return summary;
  const answer = await gl.call('POST', `${mrPath(project, iid)}/unapprove`, {});
  // 404 means there was no approval by this account to revoke: the wanted state already holds.
  if (answer.status >= 400 && answer.status !== 404) {
    throw new CospecError(
      answer.status === 403 ? 'FORBIDDEN' : 'SERVER_ERROR',
      `${gl.host} did not revoke the approval (${answer.status}).`,
      gitlabMessage(answer),
    );
  }
  return (await fetchSummary(gl, project, iid)).summary;
}

/** How long merge() waits for GitLab to finish a mergeability check before giving up, and how it polls. */
export interface MergeWaiting {
  /** Total wait for a running check (GitLab's background job usually takes well under a minute). */
  checkWaitMs: number;
  /** First pause between reads; it doubles up to maxPollMs. */
  pollMs: number;
  maxPollMs: number;
  sleep(ms: number): Promise<void>;
}

export const DEFAULT_MERGE_WAITING: MergeWaiting = {
  checkWaitMs: 60_000,
  pollMs: 500,
  maxPollMs: 4_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Reads the MR until GitLab's mergeability check has finished (each read of the single MR starts or
 * advances the check on GitLab), within waiting.checkWaitMs.
 */
async function settled(
  gl: ReviewGitLab,
  project: ApiProject,
  iid: number,
  first: { summary: MergeRequestSummary; mr: ApiMergeRequest },
  waiting: MergeWaiting,
): Promise<{ summary: MergeRequestSummary; mr: ApiMergeRequest }> {
  let current = first;
  let pause = waiting.pollMs;
  let waited = 0;
  while (current.summary.mergeStatus.checking) {
    if (waited >= waiting.checkWaitMs) {
      throw new CospecError(
        'MR_NOT_MERGEABLE',
        `GitLab is still checking whether !${iid} can be merged (after ${Math.round(waited / 1000)} s). Try again in a moment.`,
      );
    }
    await waiting.sleep(pause);
    waited += pause;
    pause = Math.min(pause * 2, waiting.maxPollMs);
    current = await fetchSummary(gl, project, iid);
  }
  return current;
}

export async function merge(
  gl: ReviewGitLab,
  project: ApiProject,
  iid: number,
  input: Omit<MergeInput, 'runId' | 'mrIid'>,
  waiting: MergeWaiting = DEFAULT_MERGE_WAITING,
): Promise<MergeRequestSummary> {
  // GitLab may still be checking (a new MR, a push): wait for its answer instead of failing.
  let { summary, mr } = await settled(gl, project, iid, await fetchSummary(gl, project, iid), waiting);
  assertOpen(summary, 'merge');
  if (!summary.mergeStatus.userCanMerge)
    throw new CospecError('FORBIDDEN', `This account may not merge into ${summary.targetBranch}.`);
  // 'always' and 'never' are the project's to decide; GitLab refuses an unsquashed merge under 'always'.
  const squash = summary.squashOption === 'always' ? true : summary.squashOption === 'never' ? undefined : input.squash;
  if (squash === false && mr.squash === true) {
    // The merge endpoint only ever turns squashing on (`squash: false` is ignored); the MR's own flag
    // must be cleared first, or GitLab squashes what the user chose to keep as separate commits.
    const cleared = await gl.call('PUT', mrPath(project, iid), { squash: false });
    if (cleared.status >= 400)
      throw new CospecError(
        cleared.status === 403 ? 'FORBIDDEN' : 'SERVER_ERROR',
        `${gl.host} did not turn off squashing for !${iid} (${cleared.status}).`,
        gitlabMessage(cleared),
      );
  }
  const body: Record<string, unknown> = {};
  if (squash !== undefined) body.squash = squash;
  if (input.removeSourceBranch !== undefined) body.should_remove_source_branch = input.removeSourceBranch;
  if (input.sha !== undefined) body.sha = input.sha;
  if (input.squashCommitMessage !== undefined && squash !== false)
    body.squash_commit_message = input.squashCommitMessage;

  // A refusal while GitLab (re)checks is retried once the check is done; a real refusal is not.
  for (let attempt = 1; ; attempt++) {
    const answer = await act(
      gl,
      'PUT',
      `${mrPath(project, iid)}/merge`,
      body,
      `This account may not merge into ${summary.targetBranch}.`,
    );
    if (answer.status < 400) return (await fetchSummary(gl, project, iid)).summary;

    const why = gitlabMessage(answer);
    if (answer.status === 409) {
      throw new CospecError(
        'MR_HEAD_CHANGED',
        `!${iid} got new commits since you reviewed it. Reload the diff and review them before merging.`,
        why,
      );
    }
    if (answer.status === 403)
      throw new CospecError('FORBIDDEN', `This account may not merge into ${summary.targetBranch}.`, why);
    if (answer.status === 405 || answer.status === 406 || answer.status === 422) {
      // Say what GitLab says blocks it now, not just the status code.
      const fresh = await fetchSummary(gl, project, iid).catch(() => undefined);
      if (fresh?.summary.mergeStatus.checking && attempt < 3) {
        ({ summary, mr } = await settled(gl, project, iid, fresh, waiting));
        assertOpen(summary, 'merge');
        continue;
      }
      const status = fresh ? fresh.summary.mergeStatus : summary.mergeStatus;
      const reason = fresh?.mr.merge_error ?? status.blockedReason ?? why;
      throw new CospecError('MR_NOT_MERGEABLE', `GitLab can't merge !${iid} now. ${reason}`.trim(), why);
    }
    throw new CospecError('SERVER_ERROR', `${gl.host} did not merge !${iid} (${answer.status}).`, why);
  }
}

export async function close(gl: ReviewGitLab, project: ApiProject, iid: number): Promise<MergeRequestSummary> {
  const { summary } = await fetchSummary(gl, project, iid);
  assertOpen(summary, 'close');
  const answer = await gl.call('PUT', mrPath(project, iid), { state_event: 'close' });
  if (answer.status === 403)
    throw new CospecError('FORBIDDEN', `This account may not close !${iid}.`, gitlabMessage(answer));
  if (answer.status >= 400)
    throw new CospecError(
      'SERVER_ERROR',
      `${gl.host} did not close !${iid} (${answer.status}).`,
      gitlabMessage(answer),
    );
  return (await fetchSummary(gl, project, iid)).summary;
}
