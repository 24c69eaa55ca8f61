import { CospecError } from '../../../src-shared/ipc/errors';
import type { ReviewListItem } from '../../../src-shared/model/review';
import type { RunRecord } from '../../../src-shared/model/run';
import type { Logger } from '../../platform/logger';
import type { ReviewGitLab } from './gitlab-api';
import { expectOk } from './gitlab-api';
import { ApiMergeRequestSchema } from './merge-request';

/** GitLab states in which an MR still waits for review; merged and closed ones leave the list. */
const OPEN_STATES = new Set(['opened', 'locked']);
/** MRs refreshed at once: enough to be quick, few enough not to trip an instance's rate limit. */
const PARALLEL = 6;

export interface ListRequest {
  runs: RunRecord[];
  accountId?: string;
  gitlabFor: (accountId: string) => ReviewGitLab;
  log: Logger;
}

/**
 * The open MRs runs opened, from the runs' recorded outputs, each refreshed against GitLab. An MR
 * recorded by several runs is listed once, under the newest run. Runs whose account is gone are
 * left out (nothing can be done with their MRs); an MR GitLab cannot be asked about right now keeps
 * its recorded state, so one unreachable instance does not empty the list.
 */
export async function listReviews(req: ListRequest): Promise<ReviewListItem[]> {
  const candidates = new Map<string, ReviewListItem>();
  const newestFirst = [...req.runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  for (const run of newestFirst) {
    if (req.accountId !== undefined && run.spec.accountId !== req.accountId) continue;
    for (const output of run.outputs) {
      if (output.kind !== 'merge_request' || !OPEN_STATES.has(output.state)) continue;
      const key = `${run.spec.accountId}\0${run.spec.projectPath}\0${output.iid}`;
      if (candidates.has(key)) continue;
      candidates.set(key, {
        runId: run.id,
        accountId: run.spec.accountId,
        projectPath: run.spec.projectPath,
        mrIid: output.iid,
        title: output.title,
        state: output.state,
        webUrl: output.webUrl,
        sourceBranch: output.sourceBranch,
        targetBranch: output.targetBranch,
        pipelineStatus: output.pipelineStatus,
        updatedAt: run.updatedAt,
      });
    }
  }

  const clients = new Map<string, ReviewGitLab | null>();
  const clientFor = (accountId: string): ReviewGitLab | null => {
    if (!clients.has(accountId)) {
      try {
        clients.set(accountId, req.gitlabFor(accountId));
      } catch (error) {
        if (!(error instanceof CospecError) || error.code !== 'NOT_FOUND') throw error;
        clients.set(accountId, null);
      }
    }
    return clients.get(accountId) ?? null;
  };

  const items = [...candidates.values()];
  const refreshed = await mapLimited(items, PARALLEL, async (item) => {
    const gl = clientFor(item.accountId);
    if (!gl) return undefined;
    return refresh(gl, item, req.log);
  });
  return refreshed
    .filter((item): item is ReviewListItem => item !== undefined && OPEN_STATES.has(item.state))
    .sort((a, b) => Date.parse(b.updatedAt) - Date.parse(a.updatedAt));
}

/** The item with GitLab's current state; undefined when the MR is gone. */
async function refresh(gl: ReviewGitLab, item: ReviewListItem, log: Logger): Promise<ReviewListItem | undefined> {
  try {
    const what = `Merge request !${item.mrIid} of ${item.projectPath}`;
    const answer = await gl.call(
      'GET',
      `/projects/${encodeURIComponent(item.projectPath)}/merge_requests/${item.mrIid}`,
    );
    const mr = expectOk(gl, answer, ApiMergeRequestSchema, what);
    const pipeline = mr.head_pipeline ?? mr.pipeline ?? null;
    return {
      ...item,
      title: mr.title,
      state: mr.state,
      webUrl: mr.web_url,
      sourceBranch: mr.source_branch,
      targetBranch: mr.target_branch,
      pipelineStatus: pipeline?.status ?? null,
      updatedAt: mr.updated_at ?? item.updatedAt,
    };
  } catch (error) {
    if (error instanceof CospecError && error.code === 'NOT_FOUND') return undefined;
    log.warn('could not refresh a merge request; listing its recorded state', {
      runId: item.runId,
      mrIid: item.mrIid,
      error,
    });
    return item;
  }
}

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
