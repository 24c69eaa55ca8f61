import type { ExpandedMergeRequestSchema, IssueSchema, MergeRequestNoteSchema, NoteSchema } from '@gitbeaker/rest';
import {
  pathWithNamespace,
  type IssueRecord,
  type MergeRequestRecord,
  type NoteRecord,
  type ProjectRecord,
} from '../model';
import type { MergeStatusWord } from '../api/mergeability';
import type { Store } from '../store';
import { basicUser } from './users';

/** What the repository says about an MR at the time of the request. */
export interface MergeRequestGitState {
  sha: string;
  baseSha: string;
  startSha: string;
  mergeable: boolean;
  changesCount: number;
}

const TIME_STATS = { time_estimate: 0, total_time_spent: 0, human_time_estimate: null, human_total_time_spent: null };

export function mergeRequestJson(
  store: Store,
  p: ProjectRecord,
  mr: MergeRequestRecord,
  git: MergeRequestGitState,
  baseUrl: string,
  viewer: { canMerge: boolean },
  phase: MergeStatusWord,
): ExpandedMergeRequestSchema {
  const user = (id: number | null) => {
    const u = id === null ? undefined : store.userById(id);
    return u ? basicUser(u, baseUrl) : null;
  };
  const users = (ids: number[]) => ids.map(user).filter((u) => u !== null);
  const author = user(mr.author_id);
  if (!author) throw new Error(`merge request !${mr.iid} has no author`);
  const open = mr.state === 'opened';
  // DetailedMergeStatusService: the running phases first, then the first check that fails.
  const detailed =
    phase !== 'checked'
      ? phase
      : !open
        ? 'not_open'
        : mr.draft
          ? 'draft_status'
          : git.mergeable
            ? 'mergeable'
            : 'conflict';
  // public_merge_status: a preparing MR shows as checking; an unchecked one keeps saying unchecked.
  const mergeStatus =
    phase === 'preparing' || phase === 'checking'
      ? 'checking'
      : phase === 'unchecked'
        ? 'unchecked'
        : git.mergeable
          ? 'can_be_merged'
          : 'cannot_be_merged';
  const squashOnMerge = p.squash_option === 'always' || (p.squash_option !== 'never' && mr.squash);
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: p.id,
    title: mr.draft ? `Draft: ${mr.title}` : mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.created_at,
    updated_at: mr.updated_at,
    merged_by: user(mr.merged_by_id),
    merge_user: user(mr.merged_by_id ?? mr.merge_user_id ?? null),
    merged_at: mr.merged_at,
    closed_by: user(mr.closed_by_id),
    closed_at: mr.closed_at,
    target_branch: mr.target_branch,
    source_branch: mr.source_branch,
    user_notes_count: mr.notes.filter((n) => !n.system).length,
    upvotes: 0,
    downvotes: 0,
    author,
    assignees: users(mr.assignee_ids),
    assignee: user(mr.assignee_ids[0] ?? null),
    reviewers: users(mr.reviewer_ids),
    source_project_id: p.id,
    target_project_id: p.id,
    labels: mr.labels,
    draft: mr.draft,
    work_in_progress: mr.draft,
    milestone: null,
    merge_when_pipeline_succeeds: mr.merge_when_pipeline_succeeds ?? false,
    merge_status: mergeStatus,
    // GitLab 17's values (preparing, conflict) postdate gitbeaker's list of them.
    detailed_merge_status: detailed as ExpandedMergeRequestSchema['detailed_merge_status'],
    sha: git.sha,
    merge_commit_sha: mr.merge_commit_sha,
    squash_commit_sha: mr.squash_commit_sha,
    discussion_locked: null,
    should_remove_source_branch: mr.remove_source_branch,
    force_remove_source_branch: mr.remove_source_branch,
    reference: `!${mr.iid}`,
    references: { short: `!${mr.iid}`, relative: `!${mr.iid}`, full: `${pathWithNamespace(p)}!${mr.iid}` },
    web_url: `${baseUrl}/${pathWithNamespace(p)}/-/merge_requests/${mr.iid}`,
    time_stats: TIME_STATS,
    squash: mr.squash,
    squash_on_merge: squashOnMerge,
    task_completion_status: { count: 0, completed_count: 0 },
    // GitLab: false unless merge_status is cannot_be_merged.
    has_conflicts: mergeStatus === 'cannot_be_merged',
    blocking_discussions_resolved: true,
    approvals_before_merge: null,
    prepared_at: mr.prepared_at,
    subscribed: false,
    changes_count: String(git.changesCount),
    latest_build_started_at: null,
    latest_build_finished_at: null,
    first_deployed_to_production_at: null,
    pipeline: null,
    head_pipeline: null,
    diff_refs: { base_sha: git.baseSha, head_sha: git.sha, start_sha: git.startSha },
    merge_error: mr.merge_error,
    first_contribution: false,
    user: { can_merge: viewer.canMerge },
  };
}

export function issueJson(
  store: Store,
  p: ProjectRecord,
  issue: IssueRecord,
  baseUrl: string,
): IssueSchema & { author_id?: never } {
  const author = store.userById(issue.author_id);
  if (!author) throw new Error(`issue #${issue.iid} has no author`);
  const self = `${baseUrl}/api/v4/projects/${p.id}/issues/${issue.iid}`;
  const closedBy = issue.closed_by_id === null ? undefined : store.userById(issue.closed_by_id);
  const assignees = issue.assignee_ids
    .map((id) => store.userById(id))
    .filter((u) => u !== undefined)
    .map((u) => basicUser(u, baseUrl));
  return {
    id: issue.id,
    iid: issue.iid,
    project_id: p.id,
    title: issue.title,
    description: issue.description,
    state: issue.state,
    created_at: issue.created_at,
    updated_at: issue.updated_at,
    // GitLab sends null for these where gitbeaker's types say "optional": keep GitLab's JSON.
    closed_at: issue.closed_at as string,
    closed_by: (closedBy ? basicUser(closedBy, baseUrl) : null) as unknown as string,
    labels: issue.labels,
    milestone: null as unknown as undefined,
    moved_to_id: (issue.moved_to_id ?? null) as unknown as string,
    service_desk_reply_to: null as unknown as string,
    assignee: assignees[0] ?? null,
    assignees,
    author: basicUser(author, baseUrl),
    type: 'ISSUE',
    issue_type: 'issue',
    upvotes: 0,
    downvotes: 0,
    merge_requests_count: 0,
    user_notes_count: issue.notes.filter((n) => !n.system).length,
    due_date: null as unknown as string,
    web_url: `${baseUrl}/${pathWithNamespace(p)}/-/issues/${issue.iid}`,
    references: { short: `#${issue.iid}`, relative: `#${issue.iid}`, full: `${pathWithNamespace(p)}#${issue.iid}` },
    time_stats: TIME_STATS,
    has_tasks: false,
    task_status: '',
    confidential: issue.confidential,
    discussion_locked: false,
    _links: {
      self,
      notes: `${self}/notes`,
      award_emoji: `${self}/award_emoji`,
      project: `${baseUrl}/api/v4/projects/${p.id}`,
    },
    task_completion_status: { count: 0, completed_count: 0 },
    subscribed: false,
  };
}

export function noteJson(
  store: Store,
  p: ProjectRecord,
  note: NoteRecord,
  noteable: { type: 'MergeRequest' | 'Issue'; id: number; iid: number },
  baseUrl: string,
): NoteSchema | MergeRequestNoteSchema {
  const author = store.userById(note.author_id);
  if (!author) throw new Error(`note ${note.id} has no author`);
  return {
    id: note.id,
    type: note.position ? 'DiffNote' : note.discussion_id ? 'DiscussionNote' : null,
    body: note.body,
    attachment: null,
    author: basicUser(author, baseUrl),
    created_at: note.created_at,
    updated_at: note.updated_at,
    system: note.system,
    noteable_id: noteable.id,
    noteable_type: noteable.type,
    noteable_iid: noteable.iid,
    project_id: p.id,
    resolvable: note.position !== undefined,
    ...(note.position
      ? { resolved: note.resolved ?? false, resolved_by: null, resolved_at: null, position: note.position }
      : {}),
    confidential: false,
    internal: false,
    imported: false,
    imported_from: 'none',
    // Filled only in the answer to a note whose quick actions ran (a transient attribute in GitLab).
    ...({ commands_changes: {} } as object),
  };
}
