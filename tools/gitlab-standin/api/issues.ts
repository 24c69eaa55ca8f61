import { bool, int, list, str } from '../http/body';
import { paginate } from '../http/paginate';
import type { Router } from '../http/router';
import { errors, type Ctx } from '../http/types';
import { ACCESS, type IssueRecord } from '../model';
import { issueJson } from '../present/work-items';
import { requireAuth } from '../auth';
import { inTimeWindow, projectFor, requireParams, sortBy } from './common';
import { mergeMergeRequest } from './merge-requests';
import { noteRoutes } from './notes';
import { runDescriptionCommands } from './quick-actions';
import { touch } from './repository';

/** Issues: create (Guest and up, as in GitLab), list with filters, show, update (close/reopen), notes. */
export function issueRoutes(router: Router): void {
  const base = '/projects/:id/issues';
  router.get(base, (ctx) => {
    const { project, level } = projectFor(ctx, ACCESS.none);
    const q = ctx.query;
    const state = q.get('state') ?? 'all';
    const labels = list(q.get('labels') ?? undefined);
    const iids = q.getAll('iids[]').map(Number);
    const search = q.get('search')?.toLowerCase();
    const authorId = int(q.get('author_id') ?? undefined);
    const assigneeId = int(q.get('assignee_id') ?? undefined);
    const userId = ctx.principal?.user.id;
    let items = project.issues.filter(
      (i) =>
        // Confidential issues: only their author and Reporters+ see them.
        (!i.confidential || level >= ACCESS.reporter || i.author_id === userId) &&
        (state === 'all' || i.state === state) &&
        (!labels || labels.every((l) => i.labels.includes(l))) &&
        (iids.length === 0 || iids.includes(i.iid)) &&
        (authorId === undefined || i.author_id === authorId) &&
        (assigneeId === undefined || i.assignee_ids.includes(assigneeId)) &&
        (!search || `${i.title} ${i.description}`.toLowerCase().includes(search)) &&
        inTimeWindow(ctx, i),
    );
    items = sortBy(
      items,
      (i) => (q.get('order_by') === 'updated_at' ? i.updated_at : i.created_at) + String(i.id).padStart(9, '0'),
      q.get('sort'),
    );
    return paginate(
      ctx,
      items.map((i) => issueJson(ctx.store, project, i, ctx.baseUrl)),
    );
  });

  router.post(base, async (ctx) => {
    const principal = requireAuth(ctx.principal, 'write');
    const { project } = projectFor(ctx, ACCESS.guest, 'write');
    requireParams(ctx, ['title']);
    const now = ctx.store.nowIso();
    const issue: IssueRecord = {
      id: ctx.store.ids.take('issue'),
      iid: project.issues.length + 1,
      project_id: project.id,
      title: str(ctx.body.title) ?? '',
      description: str(ctx.body.description) ?? '',
      state: 'opened',
      author_id: principal.user.id,
      assignee_ids: (list(ctx.body.assignee_ids ?? ctx.body.assignee_id) ?? []).map(Number).filter((n) => n > 0),
      labels: list(ctx.body.labels) ?? [],
      confidential: bool(ctx.body.confidential) ?? false,
      created_at: now,
      updated_at: now,
      closed_at: null,
      closed_by_id: null,
      notes: [],
    };
    const target = { kind: 'issue' as const, project, item: issue, persisted: false };
    issue.description = await runDescriptionCommands(ctx, target, issue.description, mergeMergeRequest);
    project.issues.push(issue);
    touch(ctx, project);
    return { status: 201, body: issueJson(ctx.store, project, issue, ctx.baseUrl) };
  });

  router.get(`${base}/:iid`, (ctx) => {
    const { project, issue } = find(ctx);
    return { body: issueJson(ctx.store, project, issue, ctx.baseUrl) };
  });

  router.put(`${base}/:iid`, async (ctx) => {
    const principal = requireAuth(ctx.principal, 'write');
    const { project, issue, level } = find(ctx);
    if (level < ACCESS.reporter && issue.author_id !== principal.user.id) throw errors.forbidden();
    const b = ctx.body;
    if (str(b.title) !== undefined) issue.title = str(b.title)!;
    if (str(b.description) !== undefined) {
      const target = { kind: 'issue' as const, project, item: issue, persisted: true };
      issue.description = await runDescriptionCommands(ctx, target, str(b.description)!, mergeMergeRequest);
    }
    if (b.labels !== undefined) issue.labels = list(b.labels) ?? [];
    const event = str(b.state_event);
    if (event === 'close' && issue.state === 'opened')
      Object.assign(issue, { state: 'closed', closed_at: ctx.store.nowIso(), closed_by_id: principal.user.id });
    if (event === 'reopen' && issue.state === 'closed')
      Object.assign(issue, { state: 'opened', closed_at: null, closed_by_id: null });
    issue.updated_at = ctx.store.nowIso();
    return { body: issueJson(ctx.store, project, issue, ctx.baseUrl) };
  });

  noteRoutes(router, base, 'Issue', (ctx) => {
    const { project, issue } = find(ctx);
    return { project, item: issue };
  });
}

function find(ctx: Ctx) {
  const { project, level } = projectFor(ctx, ACCESS.none);
  const issue = project.issues.find((i) => i.iid === Number(ctx.params.iid));
  if (!issue || (issue.confidential && level < ACCESS.reporter && issue.author_id !== ctx.principal?.user.id))
    throw errors.notFound();
  return { project, issue, level };
}
