import type {
  BranchSchema,
  CommitSchema,
  ProjectSchema,
  ProtectedBranchAccessLevel,
  ProtectedBranchSchema,
  SimpleProjectSchema,
} from '@gitbeaker/rest';
import type { CommitInfo } from '../git/repo';
import {
  ACCESS_NAMES,
  namespaceName,
  namespacePath,
  pathWithNamespace,
  type AccessLevel,
  type ProjectRecord,
  type ProtectedBranchRecord,
} from '../model';

type Access = { access_level: number; notification_level: number } | null;

/** GET /projects?simple=true */
export function simpleProject(p: ProjectRecord, baseUrl: string): SimpleProjectSchema {
  const full = pathWithNamespace(p);
  const host = new URL(baseUrl).hostname;
  return {
    id: p.id,
    description: p.description,
    name: p.name,
    name_with_namespace: `${namespaceName(p.group)} / ${p.name}`,
    path: p.path,
    path_with_namespace: full,
    created_at: p.created_at,
    // GitLab sends null for an empty repository; gitbeaker's type says string.
    default_branch: p.default_branch as string,
    tag_list: [],
    topics: [],
    ssh_url_to_repo: `git@${host}:${full}.git`,
    http_url_to_repo: `${baseUrl}/${full}.git`,
    web_url: `${baseUrl}/${full}`,
    readme_url: p.default_branch === null ? null : `${baseUrl}/${full}/-/blob/${p.default_branch}/README.md`,
    forks_count: 0,
    avatar_url: null,
    star_count: 0,
    last_activity_at: p.last_activity_at,
    namespace: {
      id: p.group.id,
      name: p.group.name,
      path: p.group.path,
      kind: p.group.kind,
      full_path: namespacePath(p.group),
      parent_id: p.group.parent?.id ?? null,
      avatar_url: null,
      // A user's namespace is their profile page; a group's lives under /groups/.
      web_url: p.group.kind === 'user' ? `${baseUrl}/${p.group.path}` : `${baseUrl}/groups/${namespacePath(p.group)}`,
    },
  };
}

/** GET /projects and /projects/:id, with the caller's permissions. */
export function project(
  p: ProjectRecord,
  baseUrl: string,
  access: { project: AccessLevel | 0; group: AccessLevel | 0 },
): SimpleProjectSchema &
  Pick<
    ProjectSchema,
    | 'visibility'
    | 'archived'
    | 'empty_repo'
    | 'issues_enabled'
    | 'merge_requests_enabled'
    | 'open_issues_count'
    | 'creator_id'
    | 'merge_method'
    | 'squash_option'
    | 'remove_source_branch_after_merge'
    | 'only_allow_merge_if_pipeline_succeeds'
    | 'request_access_enabled'
    | '_links'
    | 'updated_at'
  > & {
    permissions: { project_access: Access; group_access: Access };
  } {
  const self = `${baseUrl}/api/v4/projects/${p.id}`;
  const level = (n: number): Access => (n > 0 ? { access_level: n, notification_level: 3 } : null);
  return {
    ...simpleProject(p, baseUrl),
    visibility: p.visibility,
    archived: p.archived,
    empty_repo: p.default_branch === null,
    issues_enabled: true,
    merge_requests_enabled: true,
    open_issues_count: p.issues.filter((i) => i.state === 'opened').length,
    creator_id: p.creator_id,
    merge_method: 'merge',
    squash_option: p.squash_option,
    remove_source_branch_after_merge: true,
    only_allow_merge_if_pipeline_succeeds: false,
    request_access_enabled: true,
    updated_at: p.last_activity_at,
    permissions: { project_access: level(access.project), group_access: level(access.group) },
    _links: {
      self,
      issues: `${self}/issues`,
      merge_requests: `${self}/merge_requests`,
      repo_branches: `${self}/repository/branches`,
      labels: `${self}/labels`,
      events: `${self}/events`,
      members: `${self}/members`,
      cluster_agents: `${self}/cluster_agents`,
    },
  };
}

export function commitJson(
  c: CommitInfo,
  p: ProjectRecord,
  baseUrl: string,
): CommitSchema & { authored_date: string; committed_date: string } {
  const title = c.message.split('\n')[0] ?? '';
  return {
    id: c.id,
    short_id: c.id.slice(0, 8),
    created_at: c.committed_date,
    parent_ids: c.parent_ids,
    title,
    message: c.message,
    author_name: c.author_name,
    author_email: c.author_email,
    authored_date: c.authored_date,
    committer_name: c.committer_name,
    committer_email: c.committer_email,
    committed_date: c.committed_date,
    trailers: {},
    extended_trailers: {},
    web_url: `${baseUrl}/${pathWithNamespace(p)}/-/commit/${c.id}`,
  };
}

export function branchJson(
  p: ProjectRecord,
  name: string,
  c: CommitInfo,
  baseUrl: string,
  info: { protection?: ProtectedBranchRecord; merged: boolean; canPush: boolean },
): BranchSchema {
  return {
    name,
    merged: info.merged,
    protected: info.protection !== undefined,
    default: name === p.default_branch,
    developers_can_push: info.protection ? info.protection.push_access_level <= 30 : true,
    developers_can_merge: info.protection ? info.protection.merge_access_level <= 30 : true,
    can_push: info.canPush,
    web_url: `${baseUrl}/${pathWithNamespace(p)}/-/tree/${encodeURIComponent(name)}`,
    commit: commitJson(c, p, baseUrl),
  };
}

export function protectedBranchJson(b: ProtectedBranchRecord): ProtectedBranchSchema {
  const level = (id: number, access: AccessLevel) => ({
    id,
    access_level: access as number as ProtectedBranchAccessLevel,
    access_level_description: ACCESS_NAMES[access] ?? String(access),
    user_id: null,
    group_id: null,
  });
  return {
    id: b.id,
    name: b.name,
    push_access_levels: [level(b.id * 10 + 1, b.push_access_level)],
    merge_access_levels: [level(b.id * 10 + 2, b.merge_access_level)],
    unprotect_access_levels: [],
    allow_force_push: b.allow_force_push,
    code_owner_approval_required: false,
  };
}
