import { requireAuth } from '../auth';
import { bool, int } from '../http/body';
import { paginate } from '../http/paginate';
import type { Router } from '../http/router';
import type { Ctx } from '../http/types';
import type { IssueRecord, MergeRequestRecord, ProjectRecord } from '../model';
import { issueJson } from '../present/work-items';
import { inTimeWindow, sortBy } from './common';
import { gitState } from './merge-requests';
import { advance } from './mergeability';
import { mergeRequestJson } from '../present/work-items';
import { ACCESS } from '../model';

/**
 * GET /merge_requests and GET /issues across projects: scope created_by_me (GitLab's default),
 * assigned_to_me or all (what the caller can see), with state and time filters.
 */
export function globalListRoutes(router: Router): void {
  router.get('/merge_requests', async (ctx) => {
    const items = collect(ctx, (p) => p.merge_requests, ACCESS.reporter);
    const page = paginate(ctx, items);
    page.body = await Promise.all(
      (page.body as Array<{ project: ProjectRecord; item: MergeRequestRecord }>).map(async ({ project, item }) =>
        mergeRequestJson(
          ctx.store,
          project,
          item,
          await gitState(project, item),
          ctx.baseUrl,
          { canMerge: false },
          // A list: no recheck unless with_merge_status_recheck=true.
          advance(ctx.store, item, bool(ctx.query.get('with_merge_status_recheck') ?? undefined) ?? false),
        ),
      ),
    );
    return page;
  });
  router.get('/issues', (ctx) => {
    const items = collect(ctx, (p) => p.issues, ACCESS.guest);
    const page = paginate(ctx, items);
    page.body = (page.body as Array<{ project: ProjectRecord; item: IssueRecord }>).map(({ project, item }) =>
      issueJson(ctx.store, project, item, ctx.baseUrl),
    );
    return page;
  });
}

function collect<T extends MergeRequestRecord | IssueRecord>(
  ctx: Ctx,
  of: (p: ProjectRecord) => T[],
  minLevel: number,
) {
  const { user } = requireAuth(ctx.principal, 'read');
  const scope = ctx.query.get('scope') ?? 'created_by_me';
  const state = ctx.query.get('state') ?? 'all';
  const authorId = int(ctx.query.get('author_id') ?? undefined);
  const items = ctx.store.projects
    .filter(
      (p) => ctx.store.canSee(user, p) && (p.visibility !== 'private' || ctx.store.accessLevel(user, p) >= minLevel),
    )
    .flatMap((project) => of(project).map((item) => ({ project, item })))
    .filter(
      ({ item }) =>
        (scope === 'all' ||
          (scope === 'created_by_me' ? item.author_id === user.id : item.assignee_ids.includes(user.id))) &&
        (state === 'all' || item.state === state) &&
        (authorId === undefined || item.author_id === authorId) &&
        inTimeWindow(ctx, item),
    );
  return sortBy(items, ({ item }) => item.created_at + String(item.id).padStart(9, '0'), ctx.query.get('sort'));
}
