import { requireAuth } from '../auth';
import * as repo from '../git/repo';
import { bool, int, list, str } from '../http/body';
import { paginate } from '../http/paginate';
import type { Router } from '../http/router';
import { ApiError, errors, type Ctx } from '../http/types';
import { ACCESS, pathWithNamespace, type MergeRequestRecord, type ProjectRecord } from '../model';
import { commitJson } from '../present/projects';
import { basicUser } from '../present/users';
import { mergeRequestJson, type MergeRequestGitState } from '../present/work-items';
import { inTimeWindow, projectFor, requireParams, sortBy } from './common';
import { advance, checkNow, markUnchecked, preparing } from './mergeability';
import { noteRoutes } from './notes';
import { runDescriptionCommands } from './quick-actions';
import { touch } from './repository';

/** Merge requests: create, list with filters, show, update, changes/diffs/commits, approve, merge. */
export function mergeRequestRoutes(router: Router): void {
  const base = '/projects/:id/merge_requests';
  router.get(base, async (ctx) => {
    const { project } = projectFor(ctx, readLevel(ctx));
    const q = ctx.query;
    const state = q.get('state') ?? 'all';
    const labels = list(q.get('labels') ?? undefined);
    const iids = q.getAll('iids[]').map(Number);
    const search = q.get('search')?.toLowerCase();
    const authorId = int(q.get('author_id') ?? undefined);
    const authorName = q.get('author_username');
    let items = project.merge_requests.filter(
      (mr) =>
        (state === 'all' || mr.state === state) &&
        (!q.get('source_branch') || mr.source_branch === q.get('source_branch')) &&
        (!q.get('target_branch') || mr.target_branch === q.get('target_branch')) &&
        (authorId === undefined || mr.author_id === authorId) &&
        (!authorName || ctx.store.userById(mr.author_id)?.username === authorName) &&
        (!labels || labels.every((l) => mr.labels.includes(l))) &&
        (iids.length === 0 || iids.includes(mr.iid)) &&
        (!search || `${mr.title} ${mr.description}`.toLowerCase().includes(search)) &&
        inTimeWindow(ctx, mr),
    );
    items = sortBy(
      items,
      (mr) => (q.get('order_by') === 'updated_at' ? mr.updated_at : mr.created_at) + String(mr.id).padStart(9, '0'),
      q.get('sort'),
    );
    const page = paginate(ctx, items);
    // Lists skip the mergeability recheck unless asked (GitLab's with_merge_status_recheck).
    const recheck = bool(q.get('with_merge_status_recheck') ?? undefined) ?? false;
    page.body = await Promise.all(
      (page.body as MergeRequestRecord[]).map((mr) => present(ctx, project, mr, undefined, recheck)),
    );
    return page;
  });

  router.post(base, async (ctx) => {
    const { project } = projectFor(ctx, ACCESS.developer);
    requireParams(ctx, ['source_branch', 'target_branch', 'title']);
    const source = str(ctx.body.source_branch) ?? '';
    const target = str(ctx.body.target_branch) ?? '';
    let title = str(ctx.body.title) ?? '';
    const problems: string[] = [];
    if (source === target) problems.push("You can't use same project/branch for source and target");
    if (!(await repo.revParse(project.repo_dir, `refs/heads/${source}`)))
      problems.push(`Source branch "${source}" does not exist`);
    if (!(await repo.revParse(project.repo_dir, `refs/heads/${target}`)))
      problems.push(`Target branch "${target}" does not exist`);
    const existing = project.merge_requests.find(
      (m) => m.state === 'opened' && m.source_branch === source && m.target_branch === target,
    );
    if (existing) problems.push(`Another open merge request already exists for this source branch: !${existing.iid}`);
    if (problems.length > 0) throw new ApiError(409, { message: problems });
    const draftPrefix = /^\s*(\[draft\]|\(draft\)|draft:|draft\s-\s)\s*/i;
    const draft = bool(ctx.body.draft) ?? draftPrefix.test(title);
    title = title.replace(draftPrefix, '');
    const now = ctx.store.nowIso();
    const mr: MergeRequestRecord = {
      id: ctx.store.ids.take('merge_request'),
      iid: project.merge_requests.length + 1,
      project_id: project.id,
      title,
      description: str(ctx.body.description) ?? '',
      state: 'opened',
      source_branch: source,
      target_branch: target,
      author_id: ctx.principal!.user.id,
      assignee_ids: ids(ctx.body.assignee_ids ?? ctx.body.assignee_id),
      reviewer_ids: ids(ctx.body.reviewer_ids),
      labels: list(ctx.body.labels) ?? [],
      draft,
      remove_source_branch: bool(ctx.body.remove_source_branch) ?? false,
      created_at: now,
      updated_at: now,
      merged_at: null,
      merged_by_id: null,
      merge_commit_sha: null,
      closed_at: null,
      closed_by_id: null,
      frozen_sha: null,
      frozen_base_sha: null,
      approved_by_ids: [],
      notes: [],
      // Through the API an MR squashes only when asked; the project's default_on presets the web form only.
      squash: bool(ctx.body.squash) ?? false,
      squash_commit_sha: null,
      merge_error: null,
      ...preparing(ctx.store),
      target_sha_seen: await repo.revParse(project.repo_dir, `refs/heads/${target}`),
    };
    const onNew = { kind: 'merge_request' as const, project, item: mr, persisted: false };
    mr.description = await runDescriptionCommands(ctx, onNew, mr.description, mergeMergeRequest);
    project.merge_requests.push(mr);
    await keepHeadRef(project, mr);
    touch(ctx, project);
    return { status: 201, body: await present(ctx, project, mr) };
  });

  router.get(`${base}/:iid`, async (ctx) => {
    const { project, mr } = find(ctx, readLevel(ctx));
    return { body: await present(ctx, project, mr) };
  });

  router.put(`${base}/:iid`, async (ctx) => {
    const { project, mr, level } = find(ctx, ACCESS.reporter, 'write');
    if (level < ACCESS.developer && mr.author_id !== ctx.principal?.user.id) throw errors.forbidden();
    const b = ctx.body;
    if (str(b.title) !== undefined) mr.title = str(b.title)!;
    if (str(b.description) !== undefined) {
      const target = { kind: 'merge_request' as const, project, item: mr, persisted: true };
      mr.description = await runDescriptionCommands(ctx, target, str(b.description)!, mergeMergeRequest);
    }
    if (str(b.target_branch) !== undefined) mr.target_branch = str(b.target_branch)!;
    if (b.labels !== undefined) mr.labels = list(b.labels) ?? [];
    if (b.assignee_ids !== undefined || b.assignee_id !== undefined)
      mr.assignee_ids = ids(b.assignee_ids ?? b.assignee_id);
    if (bool(b.draft) !== undefined) mr.draft = bool(b.draft)!;
    if (bool(b.squash) !== undefined) mr.squash = bool(b.squash)!;
    if (str(b.target_branch) !== undefined) markUnchecked(mr);
    const event = str(b.state_event);
    if (event === 'close' && mr.state === 'opened') {
      Object.assign(mr, { state: 'closed', closed_at: ctx.store.nowIso(), closed_by_id: ctx.principal!.user.id });
      mr.frozen_sha = await repo.revParse(project.repo_dir, `refs/heads/${mr.source_branch}`);
    } else if (event === 'reopen' && mr.state === 'closed') {
      Object.assign(mr, { state: 'opened', closed_at: null, closed_by_id: null, frozen_sha: null });
    }
    mr.updated_at = ctx.store.nowIso();
    return { body: await present(ctx, project, mr) };
  });

  router.get(`${base}/:iid/changes`, async (ctx) => {
    const { project, mr } = find(ctx, readLevel(ctx));
    const state = await gitState(project, mr);
    const {
      has_conflicts: _c,
      blocking_discussions_resolved: _b,
      approvals_before_merge: _a,
      ...rest
    } = await present(ctx, project, mr, state);
    return { body: { ...rest, changes: await repo.diff(project.repo_dir, state.baseSha, state.sha), overflow: false } };
  });

  router.get(`${base}/:iid/diffs`, async (ctx) => {
    const { project, mr } = find(ctx, readLevel(ctx));
    const state = await gitState(project, mr);
    const diffs = (await repo.diff(project.repo_dir, state.baseSha, state.sha)).map((d) => ({
      ...d,
      generated_file: false,
      too_large: false,
      collapsed: false,
    }));
    return paginate(ctx, diffs);
  });

  router.get(`${base}/:iid/commits`, async (ctx) => {
    const { project, mr } = find(ctx, readLevel(ctx));
    const state = await gitState(project, mr);
    const all = await repo.commits(project.repo_dir, [`${state.baseSha}..${state.sha}`]);
    return paginate(
      ctx,
      all.map((c) => commitJson(c, project, ctx.baseUrl)),
    );
  });

  router.get(`${base}/:iid/participants`, (ctx) => {
    const { mr } = find(ctx, readLevel(ctx));
    const ids = [...new Set([mr.author_id, ...mr.notes.map((n) => n.author_id)])];
    return {
      body: ids
        .map((id) => ctx.store.userById(id))
        .filter((u) => u !== undefined)
        .map((u) => basicUser(u, ctx.baseUrl)),
    };
  });

  router.get(`${base}/:iid/pipelines`, (ctx) => {
    find(ctx, readLevel(ctx));
    return paginate(ctx, []); // the stand-in runs no CI
  });

  router.get(`${base}/:iid/approvals`, (ctx) => {
    const { project, mr } = find(ctx, readLevel(ctx));
    return { body: approvals(ctx, project, mr) };
  });

  router.post(`${base}/:iid/approve`, (ctx) => {
    const { project, mr } = find(ctx, ACCESS.developer);
    const userId = ctx.principal!.user.id;
    // GitLab answers a second approval by the same user with 401.
    if (mr.approved_by_ids.includes(userId) || mr.state !== 'opened') throw errors.unauthorized();
    mr.approved_by_ids.push(userId);
    return { status: 201, body: approvals(ctx, project, mr) };
  });

  router.post(`${base}/:iid/unapprove`, (ctx) => {
    const { project, mr } = find(ctx, ACCESS.developer);
    const index = mr.approved_by_ids.indexOf(ctx.principal!.user.id);
    if (index < 0) throw errors.notFound();
    mr.approved_by_ids.splice(index, 1);
    return { status: 201, body: approvals(ctx, project, mr) };
  });

  // The checks in the order lib/api/merge_requests.rb makes them: 401 no right to merge, 405 the MR
  // is not in a mergeable state (closed, merged, draft), 422 GitLab can't merge it now (conflicts, a
  // background check holds the lease, the merge itself failed), then 409 for a sha that is not the head.
  router.put(`${base}/:iid/merge`, async (ctx) => {
    const { project, mr, level } = find(ctx, readLevel(ctx), 'write');
    const protection = ctx.store.protectionFor(project, mr.target_branch);
    if (level < (protection?.merge_access_level ?? ACCESS.developer)) throw errors.unauthorized();
    if (mr.state !== 'opened' || mr.draft) throw errors.methodNotAllowed();
    const state = await gitState(project, mr);
    // GitLab checks mergeability before the sha: a background check or a conflict answers 422 first.
    if (!checkNow(ctx.store, mr) || !state.mergeable) throw new ApiError(422, { message: 'Branch cannot be merged' });
    const expected = str(ctx.body.sha);
    if (expected && expected !== state.sha)
      throw errors.conflict('SHA does not match HEAD of source branch: ' + state.sha);
    // `squash` only ever turns squashing on (`update(squash:) if params[:squash]`).
    if (bool(ctx.body.squash)) mr.squash = true;
    await mergeMergeRequest(ctx, project, mr, {
      message: str(ctx.body.merge_commit_message),
      squashMessage: str(ctx.body.squash_commit_message),
      removeSourceBranch: bool(ctx.body.should_remove_source_branch),
    });
    return { body: await present(ctx, project, mr) };
  });

  noteRoutes(router, base, 'MergeRequest', (ctx) => {
    const { project, mr } = find(ctx, readLevel(ctx));
    return { project, item: mr };
  });
}

/**
 * Merges an open MR into its target with a real merge commit (PUT …/merge and /merge share it),
 * squashing first when the MR or the project says so; the caller has checked the rights. A failure
 * is GitLab's 422 "Branch cannot be merged", with the reason in the MR's merge_error.
 */
export async function mergeMergeRequest(
  ctx: Ctx,
  project: ProjectRecord,
  mr: MergeRequestRecord,
  opts: { message?: string; squashMessage?: string; removeSourceBranch?: boolean } = {},
): Promise<void> {
  const state = await gitState(project, mr);
  const cannot = () => new ApiError(422, { message: 'Branch cannot be merged' });
  if (!checkNow(ctx.store, mr) || !state.mergeable) throw cannot();
  if (project.squash_option === 'always' && !mr.squash) {
    mr.merge_error = 'This project requires squashing commits when merge requests are accepted.';
    throw cannot();
  }
  const squashOnMerge = project.squash_option === 'always' || (project.squash_option !== 'never' && mr.squash);
  const user = ctx.principal!.user;
  const committer = { name: user.name, email: user.email };
  let squashSha: string | null = null;
  if (squashOnMerge) {
    const author = ctx.store.userById(mr.author_id) ?? user;
    squashSha = await repo.squashCommit(
      project.repo_dir,
      state.baseSha,
      state.sha,
      opts.squashMessage ?? mr.title,
      { name: author.name, email: author.email },
      committer,
    );
  }
  const message =
    opts.message ??
    `Merge branch '${mr.source_branch}' into '${mr.target_branch}'\n\n${mr.title}\n\nSee merge request ${pathWithNamespace(project)}!${mr.iid}`;
  const merged = await repo.mergeBranches(
    project.repo_dir,
    mr.target_branch,
    squashSha ?? state.sha,
    message,
    committer,
  );
  if (!merged.ok) {
    mr.merge_error = 'Merge request is not mergeable';
    throw cannot();
  }
  Object.assign(mr, {
    state: 'merged',
    merged_at: ctx.store.nowIso(),
    merged_by_id: user.id,
    merge_commit_sha: merged.sha,
    squash_commit_sha: squashSha,
    merge_error: null,
    frozen_sha: state.sha,
    frozen_base_sha: state.baseSha,
    updated_at: ctx.store.nowIso(),
  });
  if (opts.removeSourceBranch ?? mr.remove_source_branch) {
    if (!ctx.store.protectionFor(project, mr.source_branch))
      await repo.deleteBranch(project.repo_dir, mr.source_branch);
  }
  // The target moved: every other open MR into it needs a new check.
  await refreshMergeRequests(project);
  touch(ctx, project);
}

/** Merge requests of a private project need Reporter; public ones are readable by anyone. */
function readLevel(ctx: Ctx) {
  const p = ctx.store.projectByRef(ctx.params.id ?? '');
  return p?.visibility === 'private' ? ACCESS.reporter : ACCESS.none;
}

function find(ctx: Ctx, minLevel: number, need?: 'read' | 'write') {
  if (minLevel >= ACCESS.developer || need === 'write') requireAuth(ctx.principal, 'write');
  const { project, level } = projectFor(ctx, minLevel as 0, need);
  const mr = project.merge_requests.find((m) => m.iid === Number(ctx.params.iid));
  if (!mr) throw errors.notFound();
  return { project, mr, level };
}

function ids(value: unknown): number[] {
  return (list(value) ?? []).map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/** Derived facts per (repository, target sha, head sha): commits never change, so they are cached. */
const derived = new Map<string, Promise<{ baseSha: string; mergeable: boolean; changesCount: number }>>();

export async function gitState(project: ProjectRecord, mr: MergeRequestRecord): Promise<MergeRequestGitState> {
  const dir = project.repo_dir;
  const open = mr.state === 'opened';
  const target = (await repo.revParse(dir, `refs/heads/${mr.target_branch}`)) ?? '';
  const sha =
    (open ? await repo.revParse(dir, `refs/heads/${mr.source_branch}`) : mr.frozen_sha) ?? mr.frozen_sha ?? target;
  if (!open && mr.frozen_base_sha) {
    const changesCount = (await repo.diff(dir, mr.frozen_base_sha, sha)).length;
    return { sha, baseSha: mr.frozen_base_sha, startSha: mr.frozen_base_sha, mergeable: true, changesCount };
  }
  const key = `${dir}\0${target}\0${sha}`;
  let facts = derived.get(key);
  if (!facts) {
    facts = (async () => {
      const baseSha = (await repo.mergeBase(dir, target, sha)) ?? target;
      const [mergeable, diffs] = await Promise.all([repo.canMerge(dir, target, sha), repo.diff(dir, baseSha, sha)]);
      return { baseSha, mergeable, changesCount: diffs.length };
    })();
    derived.set(key, facts);
  }
  const { baseSha, mergeable, changesCount } = await facts;
  return { sha, baseSha, startSha: open ? target : baseSha, mergeable: open ? mergeable : true, changesCount };
}

/** An MR as the API shows it; `recheck` false is a list's skip_merge_status_recheck. */
async function present(
  ctx: Ctx,
  project: ProjectRecord,
  mr: MergeRequestRecord,
  state?: MergeRequestGitState,
  recheck = true,
) {
  const user = ctx.principal?.user;
  const level = ctx.store.accessLevel(user, project);
  const protection = ctx.store.protectionFor(project, mr.target_branch);
  const phase = advance(ctx.store, mr, recheck);
  return mergeRequestJson(
    ctx.store,
    project,
    mr,
    state ?? (await gitState(project, mr)),
    ctx.baseUrl,
    { canMerge: level >= (protection?.merge_access_level ?? ACCESS.developer) },
    phase,
  );
}

const headRef = (mr: MergeRequestRecord) => `refs/merge-requests/${mr.iid}/head`;

/** GitLab's refs/merge-requests/<iid>/head: written at create and on every push to the source, kept after the branch goes. */
async function keepHeadRef(project: ProjectRecord, mr: MergeRequestRecord): Promise<boolean> {
  const source = await repo.revParse(project.repo_dir, `refs/heads/${mr.source_branch}`);
  if (!source || source === (await repo.revParse(project.repo_dir, headRef(mr)))) return false;
  await repo.setRef(project.repo_dir, headRef(mr), source);
  return true;
}

/**
 * After something moved branches (a push, a merge): open MRs whose source moved get their head ref
 * updated, and those whose source or target moved need a new mergeability check.
 */
export async function refreshMergeRequests(project: ProjectRecord): Promise<void> {
  for (const mr of project.merge_requests) {
    if (mr.state !== 'opened') continue;
    const sourceMoved = await keepHeadRef(project, mr);
    const target = await repo.revParse(project.repo_dir, `refs/heads/${mr.target_branch}`);
    const targetMoved = target !== mr.target_sha_seen;
    mr.target_sha_seen = target;
    if (sourceMoved || targetMoved) markUnchecked(mr);
  }
}

function approvals(ctx: Ctx, project: ProjectRecord, mr: MergeRequestRecord) {
  return {
    id: mr.id,
    iid: mr.iid,
    project_id: project.id,
    title: mr.title,
    description: mr.description,
    state: mr.state,
    created_at: mr.created_at,
    updated_at: mr.updated_at,
    merge_status: 'can_be_merged',
    approved: mr.approved_by_ids.length > 0,
    approvals_required: 0,
    approvals_left: 0,
    require_password_to_approve: false,
    approved_by: mr.approved_by_ids
      .map((id) => ctx.store.userById(id))
      .filter((u) => u !== undefined)
      .map((u) => ({ user: basicUser(u, ctx.baseUrl) })),
    user_has_approved: mr.approved_by_ids.includes(ctx.principal?.user.id ?? -1),
    user_can_approve: !mr.approved_by_ids.includes(ctx.principal?.user.id ?? -1),
  };
}
