import { z } from 'zod';
import type {
  MergeRequestSummary,
  ReviewApprovals,
  ReviewMergeStatus,
  ReviewUser,
} from '../../../src-shared/model/review';
import { MergeRequestStateSchema, SquashOptionSchema } from '../../../src-shared/model/review';
import { expectOk, type ReviewGitLab } from './gitlab-api';
import { ApiProjectSchema as GitLabProjectSchema } from '../gitlab/schemas';

// The fields of GitLab's entities this service reads; everything else is ignored. Optional where
// older GitLab versions (or the test stand-in) leave them out.
export const ApiUserSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  name: z.string().optional(),
  avatar_url: z.string().nullable().optional(),
  web_url: z.string().nullable().optional(),
});

export const ApiMergeRequestSchema = z.object({
  id: z.number().int().optional(),
  iid: z.number().int(),
  project_id: z.number().int(),
  source_project_id: z.number().int().optional(),
  title: z.string(),
  description: z.string().nullable().optional(),
  state: z.string(),
  draft: z.boolean().optional(),
  work_in_progress: z.boolean().optional(),
  source_branch: z.string(),
  target_branch: z.string(),
  web_url: z.string(),
  author: ApiUserSchema,
  created_at: z.string(),
  updated_at: z.string().optional(),
  sha: z.string().nullable().optional(),
  diff_refs: z
    .object({ base_sha: z.string().nullable(), head_sha: z.string().nullable(), start_sha: z.string().nullable() })
    .nullable()
    .optional(),
  detailed_merge_status: z.string().optional(),
  merge_status: z.string().optional(),
  has_conflicts: z.boolean().optional(),
  user: z.object({ can_merge: z.boolean() }).optional(),
  head_pipeline: z
    .object({ id: z.number().int(), status: z.string(), web_url: z.string().nullable().optional() })
    .nullable()
    .optional(),
  pipeline: z
    .object({ id: z.number().int(), status: z.string(), web_url: z.string().nullable().optional() })
    .nullable()
    .optional(),
  squash: z.boolean().optional(),
  squash_on_merge: z.boolean().optional(),
  force_remove_source_branch: z.boolean().nullable().optional(),
  /** Why GitLab's last attempt to merge failed (e.g. the project requires squashing). */
  merge_error: z.string().nullable().optional(),
});
export type ApiMergeRequest = z.infer<typeof ApiMergeRequestSchema>;

export const ApiApprovalsSchema = z.object({
  approved: z.boolean().optional(),
  approvals_required: z.number().int().optional(),
  approvals_left: z.number().int().optional(),
  approved_by: z.array(z.object({ user: ApiUserSchema })).optional(),
  user_has_approved: z.boolean().optional(),
  user_can_approve: z.boolean().optional(),
});

export const ApiProjectSchema = GitLabProjectSchema.required({ path_with_namespace: true });
export type ApiProject = z.infer<typeof ApiProjectSchema>;

export function toUser(u: z.infer<typeof ApiUserSchema>): ReviewUser {
  return {
    id: u.id,
    username: u.username,
    name: u.name ?? u.username,
    avatarUrl: u.avatar_url ?? null,
    webUrl: u.web_url ?? null,
  };
}

/** The MR's API path; the project by its id, or by its full path (GitLab takes either for `:id`). */
export function mrPath(project: ApiProject | number | string, iid: number): string {
  const id = typeof project === 'object' ? project.id : encodeURIComponent(String(project));
  return `/projects/${id}/merge_requests/${iid}`;
}

const projectName = (project: ApiProject | string) =>
  typeof project === 'string' ? project : project.path_with_namespace;

export async function fetchProject(gl: ReviewGitLab, projectPathOrId: string | number): Promise<ApiProject> {
  const answer = await gl.call('GET', `/projects/${encodeURIComponent(String(projectPathOrId))}`);
  return expectOk(gl, answer, ApiProjectSchema, `The project ${projectPathOrId}`);
}

export async function fetchMergeRequest(
  gl: ReviewGitLab,
  project: ApiProject | string,
  iid: number,
): Promise<ApiMergeRequest> {
  const answer = await gl.call('GET', mrPath(project, iid));
  return expectOk(gl, answer, ApiMergeRequestSchema, `Merge request !${iid} of ${projectName(project)}`);
}

/** Approval state, or null where GitLab does not expose it for this MR (so the UI hides approve). */
export async function fetchApprovals(
  gl: ReviewGitLab,
  project: ApiProject | string,
  iid: number,
): Promise<ReviewApprovals | null> {
  const answer = await gl.call('GET', `${mrPath(project, iid)}/approvals`);
  if (answer.status === 404 || answer.status === 403) return null;
  const a = expectOk(gl, answer, ApiApprovalsSchema, `The approvals of !${iid}`);
  const approvedBy = (a.approved_by ?? []).map((x) => toUser(x.user));
  const required = a.approvals_required ?? 0;
  const left = a.approvals_left ?? Math.max(0, required - approvedBy.length);
  return {
    approved: a.approved ?? left === 0,
    approvalsRequired: required,
    approvalsLeft: left,
    approvedBy,
    userHasApproved: a.user_has_approved ?? false,
    userCanApprove: a.user_can_approve ?? true,
  };
}

// GitLab's detailed_merge_status values, in words for the person deciding whether to merge.
const BLOCKED: Record<string, string> = {
  not_approved: 'It needs more approvals.',
  ci_must_pass: 'The pipeline must succeed first.',
  ci_still_running: 'The pipeline is still running.',
  conflict: 'It has conflicts with the target branch; resolve them first.',
  draft_status: 'It is marked as a draft.',
  discussions_not_resolved: 'All threads must be resolved first.',
  need_rebase: 'The source branch must be rebased onto the target branch first.',
  not_open: 'It is not open.',
  blocked_status: 'It is blocked by another merge request.',
  broken_status: 'GitLab cannot merge its source branch (the branch is broken).',
  requested_changes: 'A reviewer requested changes.',
  external_status_checks: 'External status checks have not passed.',
  security_policy_violations: 'Security policies are not satisfied.',
  jira_association_missing: 'The title or description must reference a Jira issue.',
  locked_paths: 'It changes paths locked by other users.',
  locked_lfs_files: 'It changes LFS files locked by other users.',
  title_regex: 'Its title does not match the project’s required pattern.',
  commits_status: 'Its source branch is missing or has no commits.',
  merge_request_blocked: 'It is blocked by another merge request.',
  merge_time: 'It cannot be merged before its scheduled time.',
};
const CHECKING = new Set(['unchecked', 'checking', 'preparing', 'approvals_syncing', 'cannot_be_merged_recheck']);

export function mergeStatusOf(mr: ApiMergeRequest): ReviewMergeStatus {
  // detailed_merge_status arrived in GitLab 15.6; older instances only have merge_status.
  const legacy =
    mr.merge_status === 'can_be_merged'
      ? 'mergeable'
      : mr.merge_status === 'cannot_be_merged'
        ? 'conflict'
        : mr.merge_status;
  const detailed = mr.state !== 'opened' ? 'not_open' : (mr.detailed_merge_status ?? legacy ?? 'unchecked');
  // An answer without the per-user field leaves the decision to GitLab when merge() is called.
  const userCanMerge = mr.user?.can_merge ?? true;
  const hasConflicts = mr.has_conflicts ?? detailed === 'conflict';
  const canMerge = mr.state === 'opened' && detailed === 'mergeable' && userCanMerge && !hasConflicts;
  // GitLab computes mergeability in the background after a push or a new MR; reading the MR starts it.
  const checking = mr.state === 'opened' && CHECKING.has(detailed);
  let blockedReason: string | undefined;
  if (!canMerge) {
    if (mr.state !== 'opened') blockedReason = `It is ${mr.state}.`;
    else if (!userCanMerge) blockedReason = `This account may not merge into ${mr.target_branch}.`;
    else if (hasConflicts) blockedReason = BLOCKED.conflict;
    else if (checking) blockedReason = 'GitLab is still checking whether it can be merged.';
    else blockedReason = BLOCKED[detailed] ?? `GitLab reports it cannot be merged yet (${detailed}).`;
  }
  return {
    detailed,
    canMerge,
    userCanMerge,
    hasConflicts,
    checking,
    ...(blockedReason ? { blockedReason } : {}),
  };
}

export function toSummary(
  project: ApiProject,
  mr: ApiMergeRequest,
  approvals: ReviewApprovals | null,
): MergeRequestSummary {
  const state = MergeRequestStateSchema.safeParse(mr.state);
  const pipeline = mr.head_pipeline ?? mr.pipeline ?? null;
  const option = SquashOptionSchema.safeParse(project.squash_option);
  const squashOption = option.success ? option.data : null;
  // 'always' and 'never' are the project's decision; otherwise the MR's own flag, else the project's default.
  const squashDefault =
    squashOption === 'always'
      ? true
      : squashOption === 'never'
        ? false
        : (mr.squash_on_merge ?? mr.squash ?? squashOption === 'default_on');
  return {
    iid: mr.iid,
    projectId: project.id,
    projectPath: project.path_with_namespace,
    title: mr.title,
    description: mr.description ?? '',
    state: state.success ? state.data : 'closed',
    draft: mr.draft ?? mr.work_in_progress ?? false,
    sourceBranch: mr.source_branch,
    targetBranch: mr.target_branch,
    webUrl: mr.web_url,
    author: toUser(mr.author),
    createdAt: mr.created_at,
    updatedAt: mr.updated_at ?? mr.created_at,
    headSha: mr.diff_refs?.head_sha ?? mr.sha ?? null,
    approvals,
    mergeStatus: mergeStatusOf(mr),
    pipeline: pipeline ? { id: pipeline.id, status: pipeline.status, webUrl: pipeline.web_url ?? null } : null,
    squashDefault,
    squashOption,
    removeSourceBranchDefault: mr.force_remove_source_branch ?? project.remove_source_branch_after_merge ?? false,
  };
}

/** The MR's summary as GitLab sees it now. */
export async function fetchSummary(
  gl: ReviewGitLab,
  project: ApiProject,
  iid: number,
): Promise<{ summary: MergeRequestSummary; mr: ApiMergeRequest }> {
  // Both reads at once; the MR's error (NOT_FOUND …) still wins when both fail.
  const approvalsP = fetchApprovals(gl, project, iid);
  approvalsP.catch(() => undefined);
  const mr = await fetchMergeRequest(gl, project, iid);
  const approvals = await approvalsP;
  return { summary: toSummary(project, mr, approvals), mr };
}
