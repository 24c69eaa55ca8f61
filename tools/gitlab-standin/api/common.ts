import { requireAuth, requireScope, type Need } from '../auth';
import { type ApiError, errors, type Ctx } from '../http/types';
import { ACCESS, type AccessLevel, type ProjectRecord } from '../model';

/**
 * The project named by `:id`, checked the way GitLab does: a project the caller may not see is
 * "404 Project Not Found" (never 403, so private names don't leak); one they see but lack the
 * role for is "403 Forbidden".
 */
export function projectFor(
  ctx: Ctx,
  minLevel: AccessLevel | 0,
  need: Need = minLevel >= ACCESS.developer ? 'write' : 'read',
): { project: ProjectRecord; level: AccessLevel | 0 } {
  if (need === 'write') requireAuth(ctx.principal, need);
  else requireScope(ctx.principal, need);
  const project = ctx.store.projectByRef(ctx.params.id ?? '');
  const user = ctx.principal?.user;
  if (!project || !ctx.store.canSee(user, project)) {
    if (!user && project === undefined) throw errors.notFound('Project');
    throw errors.notFound('Project');
  }
  const level = ctx.store.accessLevel(user, project);
  if (level < minLevel) throw user ? errors.forbidden() : errors.unauthorized();
  if (project.archived && !READS.has(ctx.method) && !ARCHIVE_WRITABLE.test(ctx.req.url ?? '')) throw errors.forbidden();
  return { project, level };
}

const READS = new Set(['GET', 'HEAD']);
/**
 * An archived project is read-only: GitLab's ProjectPolicy prevents the abilities in
 * ArchivedAbilities (push_code, create_merge_request_in/from, and create/update/admin of issues,
 * merge requests, notes, labels, milestones …), so every such write is "403 Forbidden". Protected
 * branches are not among them: a Maintainer can still change those.
 */
const ARCHIVE_WRITABLE = /\/protected_branches(\/|\?|$)/;

export function requireParams(ctx: Ctx, names: string[]): void {
  const missing = names.filter((n) => ctx.body[n] === undefined || ctx.body[n] === '');
  if (missing.length > 0) throw errors.missing(missing);
}

/** Sorting by a field with GitLab's order_by/sort parameters. */
export function sortBy<T>(
  items: T[],
  key: (item: T) => string | number,
  sort: string | null,
  fallback: 'asc' | 'desc' = 'desc',
): T[] {
  const dir = (sort ?? fallback) === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return (ka < kb ? -1 : ka > kb ? 1 : 0) * dir;
  });
}

export function notFound(what: string): ApiError {
  return errors.notFound(what);
}

/** created_after/created_before/updated_after/updated_before, as GitLab's list endpoints take them. */
export function inTimeWindow(ctx: Ctx, item: { created_at: string; updated_at: string }): boolean {
  const q = ctx.query;
  const t = (v: string | null) => (v ? Date.parse(v) : Number.NaN);
  const created = Date.parse(item.created_at);
  const updated = Date.parse(item.updated_at);
  const checks: Array<[number, boolean]> = [
    [t(q.get('created_after')), created >= t(q.get('created_after'))],
    [t(q.get('created_before')), created <= t(q.get('created_before'))],
    [t(q.get('updated_after')), updated >= t(q.get('updated_after'))],
    [t(q.get('updated_before')), updated <= t(q.get('updated_before'))],
  ];
  return checks.every(([bound, ok]) => Number.isNaN(bound) || ok);
}
