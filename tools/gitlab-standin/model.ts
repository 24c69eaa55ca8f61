/**
 * The stand-in's in-memory records. They are snake_case on purpose: tests inspect them through
 * `standIn.mergeRequests(path)` / `standIn.issues(path)` and compare with what the API returned.
 */

/** GitLab's access levels (https://docs.gitlab.com/ee/api/members.html#roles). */
export const ACCESS = { none: 0, guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;
export type AccessLevel = (typeof ACCESS)[keyof typeof ACCESS];

export const ACCESS_NAMES: Record<number, string> = {
  0: 'No access',
  10: 'Guest',
  20: 'Reporter',
  30: 'Developer',
  40: 'Maintainers',
  50: 'Owner',
};

export interface UserRecord {
  id: number;
  username: string;
  name: string;
  email: string;
  password: string;
  is_admin: boolean;
  /** The dedicated automation user (cospec-bot). GitLab itself reports bot:false for such a user. */
  dedicated_bot: boolean;
  /** What the seed made this user, for people reading the CLI output. */
  role: string;
  created_at: string;
}

export interface TokenRecord {
  id: number;
  kind: 'pat' | 'oauth';
  token: string;
  user_id: number;
  name: string;
  scopes: string[];
  /** PAT: a date (YYYY-MM-DD) valid through that day UTC; OAuth: an ISO instant; null: never. */
  expires_at: string | null;
  revoked: boolean;
  created_at: string;
  last_used_at: string | null;
  /** OAuth only: the refresh token issued with this access token. */
  refresh_token?: string;
  refresh_revoked?: boolean;
  application_id?: string;
}

/** A namespace: a group (maybe a subgroup of another) or a user's personal namespace. */
export interface GroupRecord {
  id: number;
  name: string;
  path: string;
  /** 'user': a personal namespace, its path the username; only its owner is a member. */
  kind: 'group' | 'user';
  /** The parent group of a subgroup; null at the top. */
  parent: GroupRecord | null;
  /** user id → access level, inherited by every project and subgroup below. */
  members: Map<number, AccessLevel>;
}

/** acme/platform/infra: the path of a namespace with its parents. */
export const namespacePath = (g: GroupRecord): string => (g.parent ? `${namespacePath(g.parent)}/${g.path}` : g.path);
/** "Acme / Platform / Infra", as GitLab's name_with_namespace spells the chain. */
export const namespaceName = (g: GroupRecord): string => (g.parent ? `${namespaceName(g.parent)} / ${g.name}` : g.name);

/** Who is a member of a namespace with what level, its ancestors' members included (the higher level wins). */
export function inheritedMembers(g: GroupRecord): Map<number, AccessLevel> {
  const all = new Map<number, AccessLevel>(g.parent ? inheritedMembers(g.parent) : []);
  for (const [id, level] of g.members) all.set(id, Math.max(all.get(id) ?? 0, level) as AccessLevel);
  return all;
}

export interface ProtectedBranchRecord {
  id: number;
  /** A branch name or a wildcard such as release/*. */
  name: string;
  push_access_level: AccessLevel;
  merge_access_level: AccessLevel;
  allow_force_push: boolean;
}

export interface NoteRecord {
  id: number;
  body: string;
  author_id: number;
  created_at: string;
  updated_at: string;
  system: boolean;
  /** The thread a reply belongs to; a note without one starts its own. */
  discussion_id?: string;
  /** A line comment's anchor in the diff (GitLab's DiffNote). */
  position?: DiffPosition;
  resolved?: boolean;
}

export interface DiffPosition {
  position_type: 'text';
  base_sha: string;
  start_sha: string;
  head_sha: string;
  old_path: string;
  new_path: string;
  old_line: number | null;
  new_line: number | null;
  line_range: null;
}

export interface MergeRequestRecord {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string;
  state: 'opened' | 'closed' | 'merged' | 'locked';
  source_branch: string;
  target_branch: string;
  author_id: number;
  assignee_ids: number[];
  reviewer_ids: number[];
  labels: string[];
  draft: boolean;
  remove_source_branch: boolean;
  created_at: string;
  updated_at: string;
  merged_at: string | null;
  merged_by_id: number | null;
  merge_commit_sha: string | null;
  closed_at: string | null;
  closed_by_id: number | null;
  /** Head of the source branch when merged or closed; open MRs read the live branch. */
  frozen_sha: string | null;
  /** Merge base with the target when merged, for diffs after the branch moved. */
  frozen_base_sha: string | null;
  approved_by_ids: number[];
  notes: NoteRecord[];
  /** The MR's own squash flag (`squash` on create, update or merge); the project's squash_option may override it. */
  squash: boolean;
  /** The single commit the source branch was squashed into on merge. */
  squash_commit_sha: string | null;
  /** Why the last merge attempt failed (GitLab's merge_error), cleared by a successful merge. */
  merge_error: string | null;
  /** When the MR's preparation (diff, pipelines, first mergeability check) finished; null while preparing. */
  prepared_at: string | null;
  /** Where GitLab's asynchronous mergeability check stands (see api/mergeability.ts). */
  mergeability: Mergeability;
  /** The target tip when the MR was last looked at after a push, to notice pushes to the target. */
  target_sha_seen: string | null;
  /** Auto-merge (set by the API or the merge_request.merge_when_pipeline_succeeds push option). */
  merge_when_pipeline_succeeds?: boolean;
  /** Who set auto-merge. */
  merge_user_id?: number | null;
}

/**
 * GitLab computes mergeability in background jobs: a new MR is `preparing`, a push to its source
 * branch marks it `unchecked`, the next read starts a check (`checking`), and only then is it final.
 * `ready_at` (epoch ms) is when the running phase ends.
 */
export interface Mergeability {
  phase: 'preparing' | 'unchecked' | 'checking' | 'checked';
  ready_at: number;
}

/** GitLab's project setting for squashing on merge (project_setting.squash_option). */
export type SquashOption = 'never' | 'always' | 'default_on' | 'default_off';

export interface IssueRecord {
  id: number;
  iid: number;
  project_id: number;
  title: string;
  description: string;
  state: 'opened' | 'closed';
  author_id: number;
  assignee_ids: number[];
  labels: string[];
  confidential: boolean;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  closed_by_id: number | null;
  /** Set when /move moved the issue to another project: the new issue's id. */
  moved_to_id?: number | null;
  notes: NoteRecord[];
}

export interface ProjectRecord {
  id: number;
  name: string;
  path: string;
  group: GroupRecord;
  description: string | null;
  /** null for an empty repository (no commits, no branches), as GitLab reports it. */
  default_branch: string | null;
  visibility: 'private' | 'internal' | 'public';
  archived: boolean;
  /** Project-level memberships; the effective level is the max with the group's. */
  members: Map<number, AccessLevel>;
  protected_branches: ProtectedBranchRecord[];
  created_at: string;
  last_activity_at: string;
  creator_id: number;
  merge_requests: MergeRequestRecord[];
  issues: IssueRecord[];
  /** Bare repository on disk. */
  repo_dir: string;
  squash_option: SquashOption;
}

export const pathWithNamespace = (p: ProjectRecord) => `${namespacePath(p.group)}/${p.path}`;
