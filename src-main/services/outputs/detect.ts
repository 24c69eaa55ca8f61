import { z } from 'zod';
import type { RunOutput } from '../../../src-shared/model/run';
import type { GatewayRecord } from '../gateway/record';
import type { GitLabGet } from '../repositories/gitlab-projects';

export interface DetectRequest {
  accountId: string;
  /** The GitLab user the run acted as (the account's user). */
  userId: number;
  projectId: number;
  projectPath: string;
  projectWebUrl: string;
  defaultBranch: string;
  /** The run's window: issues and MRs created by the user within it belong to the run. */
  startedAt: string;
  endedAt: string;
  record: GatewayRecord | undefined;
  /** The commits between two shas, newest first; read from the run's own clone (no API call). */
  listCommits(from: string | null, to: string): Promise<Array<{ sha: string; title: string }>>;
}

const MergeRequestSchema = z.object({
  iid: z.number().int(),
  title: z.string(),
  source_branch: z.string(),
  target_branch: z.string(),
  state: z.string(),
  web_url: z.string(),
  author: z.object({ id: z.number().int() }).optional(),
  head_pipeline: z.object({ status: z.string() }).nullable().optional(),
});
const IssueSchema = z.object({ iid: z.number().int(), title: z.string(), state: z.string(), web_url: z.string() });

const ZERO = /^0+$/;

/**
 * The run's outputs from two sources: what the credential gateway recorded, reconciled with the
 * GitLab API (MRs whose source branch the run pushed, issues the user filed during the run), so
 * an MR opened by a push option or an issue filed some other way is not missed, and nothing that
 * both sources saw is counted twice.
 */
export async function detectOutputs(get: GitLabGet, req: DetectRequest): Promise<RunOutput[]> {
  const project = encodeURIComponent(String(req.projectId));
  const branches = pushedBranches(req);

  const branchOutputs: RunOutput[] = [];
  for (const b of branches) {
    const commits = b.change === 'deleted' ? [] : await commitsOf(req, b);
    branchOutputs.push({
      kind: 'branch',
      name: b.name,
      sha: b.change === 'deleted' ? null : b.newSha,
      change: b.change,
      webUrl: b.change === 'deleted' ? null : `${req.projectWebUrl}/-/tree/${encodeURIComponent(b.name)}`,
      commits,
    });
  }

  const mrs = new Map<number, RunOutput & { kind: 'merge_request' }>();
  for (const m of req.record?.mergeRequests ?? []) {
    if (m.projectPath.toLowerCase() !== req.projectPath.toLowerCase()) continue;
    mrs.set(m.iid, {
      kind: 'merge_request',
      iid: m.iid,
      title: m.title,
      sourceBranch: m.sourceBranch,
      targetBranch: m.targetBranch,
      state: 'opened',
      pipelineStatus: null,
      webUrl: m.webUrl,
    });
  }
  for (const b of branches.filter((x) => x.change !== 'deleted')) {
    const q = `source_branch=${encodeURIComponent(b.name)}&created_after=${encodeURIComponent(req.startedAt)}&per_page=100`;
    const { json } = await get(req.accountId, `/projects/${project}/merge_requests?${q}`);
    for (const m of z.array(MergeRequestSchema).parse(json)) {
      if (!mrs.has(m.iid)) mrs.set(m.iid, toMr(m));
    }
  }
  // A branch the run updated rather than created (a follow-up) updates the open MRs it is the source
  // of, whenever they were opened: shown as an update to the same MR, not as a new one.
  const updated = new Set<number>();
  for (const b of branches.filter((x) => x.change === 'updated')) {
    const q = `source_branch=${encodeURIComponent(b.name)}&state=opened&per_page=100`;
    const { json } = await get(req.accountId, `/projects/${project}/merge_requests?${q}`);
    for (const m of z.array(MergeRequestSchema).parse(json)) {
      if (m.source_branch !== b.name || mrs.has(m.iid)) continue;
      mrs.set(m.iid, toMr(m));
      updated.add(m.iid);
    }
  }
  // Current state and pipeline of each MR, whichever source found it.
  for (const iid of [...mrs.keys()]) {
    const { json } = await get(req.accountId, `/projects/${project}/merge_requests/${iid}`);
    mrs.set(iid, { ...toMr(MergeRequestSchema.parse(json)), change: updated.has(iid) ? 'updated' : 'opened' });
  }

  const issues = new Map<number, RunOutput & { kind: 'issue' }>();
  for (const i of req.record?.issues ?? []) {
    if (i.projectPath.toLowerCase() !== req.projectPath.toLowerCase()) continue;
    issues.set(i.iid, { kind: 'issue', iid: i.iid, title: i.title, state: 'opened', webUrl: i.webUrl });
  }
  const windowQuery = `author_id=${req.userId}&created_after=${encodeURIComponent(req.startedAt)}&created_before=${encodeURIComponent(req.endedAt)}&per_page=100`;
  const { json: issueJson } = await get(req.accountId, `/projects/${project}/issues?${windowQuery}`);
  for (const i of z.array(IssueSchema).parse(issueJson))
    issues.set(i.iid, { kind: 'issue', iid: i.iid, title: i.title, state: i.state, webUrl: i.web_url });

  return [
    ...branchOutputs,
    ...[...mrs.values()].sort((a, b) => a.iid - b.iid),
    ...[...issues.values()].sort((a, b) => a.iid - b.iid),
  ];
}

interface PushedBranch {
  name: string;
  oldSha: string;
  newSha: string;
  change: 'created' | 'updated' | 'deleted';
}

/** One entry per branch the run changed, folding several pushes of one branch into one change. */
function pushedBranches(req: DetectRequest): PushedBranch[] {
  const byName = new Map<string, PushedBranch>();
  for (const p of req.record?.pushes ?? []) {
    if (p.result !== 'ok' || !p.branch || p.projectPath.toLowerCase() !== req.projectPath.toLowerCase()) continue;
    const prev = byName.get(p.branch);
    if (!prev) {
      byName.set(p.branch, { name: p.branch, oldSha: p.oldSha, newSha: p.newSha, change: p.change });
      continue;
    }
    prev.newSha = p.newSha;
    // created then updated is still created; created then deleted leaves nothing behind.
    if (p.change === 'deleted') prev.change = 'deleted';
    else if (prev.change === 'deleted') prev.change = ZERO.test(prev.oldSha) ? 'created' : 'updated';
  }
  return [...byName.values()];
}

async function commitsOf(req: DetectRequest, b: PushedBranch) {
  // A new branch is measured against the default branch as cloned (from = null).
  const from = b.change === 'created' || ZERO.test(b.oldSha) ? null : b.oldSha;
  const commits = await req.listCommits(from, b.newSha);
  return commits.map((c) => ({ ...c, webUrl: `${req.projectWebUrl}/-/commit/${c.sha}` }));
}

function toMr(m: z.infer<typeof MergeRequestSchema>): RunOutput & { kind: 'merge_request' } {
  return {
    kind: 'merge_request',
    iid: m.iid,
    title: m.title,
    sourceBranch: m.source_branch,
    targetBranch: m.target_branch,
    state: m.state,
    pipelineStatus: m.head_pipeline?.status ?? null,
    webUrl: m.web_url,
  };
}
