import { createHash } from 'node:crypto';
import { requireScope } from '../auth';
import { bool, int, str } from '../http/body';
import { paginate } from '../http/paginate';
import type { Router } from '../http/router';
import { ApiError, type Ctx } from '../http/types';
import { ACCESS, inheritedMembers, pathWithNamespace, type ProjectRecord, type SquashOption } from '../model';
import { project as projectJson, simpleProject } from '../present/projects';
import { projectFor, sortBy } from './common';

const SQUASH_OPTIONS: SquashOption[] = ['never', 'always', 'default_on', 'default_off'];

/** GET /projects (with GitLab's filters), GET /projects/:id and PUT /projects/:id (squash_option, description). */
export function projectRoutes(router: Router): void {
  router.get('/projects', (ctx) => {
    requireScope(ctx.principal, 'read');
    const user = ctx.principal?.user;
    const q = ctx.query;
    const membership = bool(q.get('membership') ?? undefined) ?? false;
    const minLevel = int(q.get('min_access_level') ?? undefined);
    const owned = bool(q.get('owned') ?? undefined) ?? false;
    const search = q.get('search')?.toLowerCase();
    const searchNamespaces = bool(q.get('search_namespaces') ?? undefined) ?? false;
    const archived = bool(q.get('archived') ?? undefined);
    const visibility = q.get('visibility');
    let items = ctx.store.projects.filter((p) => ctx.store.canSee(user, p));
    if (membership || minLevel !== undefined || owned) {
      // Membership means real membership: an admin is not a member of everything.
      const level = (p: ProjectRecord) => memberLevel(ctx, p);
      items = items.filter((p) => level(p) > 0 && level(p) >= (minLevel ?? 0) && (!owned || level(p) >= 50));
    }
    if (search)
      items = items.filter((p) =>
        `${p.name} ${p.path}${searchNamespaces ? ` ${pathWithNamespace(p)}` : ''}`.toLowerCase().includes(search),
      );
    if (archived !== undefined) items = items.filter((p) => p.archived === archived);
    if (visibility) items = items.filter((p) => p.visibility === visibility);
    const orderBy = q.get('order_by') ?? 'created_at';
    const keys: Record<string, (p: ProjectRecord) => string | number> = {
      id: (p) => p.id,
      name: (p) => p.name.toLowerCase(),
      path: (p) => p.path,
      created_at: (p) => p.created_at,
      updated_at: (p) => p.last_activity_at,
      last_activity_at: (p) => p.last_activity_at,
    };
    items = sortBy(items, keys[orderBy] ?? keys.created_at!, q.get('sort'));
    const simple = bool(q.get('simple') ?? undefined) ?? false;
    // Stable within equal keys: GitLab breaks ties by id descending.
    return paginate(
      ctx,
      items.map((p) => (simple ? simpleProject(p, ctx.baseUrl) : present(ctx, p))),
    );
  });

  router.get('/projects/:id', (ctx) => {
    const { project } = projectFor(ctx, 0);
    return { body: present(ctx, project) };
  });

  // Editing a project needs Maintainer (admin_project). Only the settings the stand-in acts on change.
  router.put('/projects/:id', (ctx) => {
    const { project } = projectFor(ctx, ACCESS.maintainer);
    const squash = str(ctx.body.squash_option);
    if (squash !== undefined) {
      if (!SQUASH_OPTIONS.includes(squash as SquashOption))
        throw new ApiError(400, { error: 'squash_option does not have a valid value' });
      project.squash_option = squash as SquashOption;
    }
    if (str(ctx.body.description) !== undefined) project.description = str(ctx.body.description)!;
    project.last_activity_at = ctx.store.nowIso();
    return { body: present(ctx, project) };
  });
}

function memberLevel(ctx: Ctx, p: ProjectRecord): number {
  const user = ctx.principal?.user;
  if (!user) return 0;
  return Math.max(inheritedMembers(p.group).get(user.id) ?? 0, p.members.get(user.id) ?? 0);
}

function present(ctx: Ctx, p: ProjectRecord) {
  const user = ctx.principal?.user;
  const json = projectJson(p, ctx.baseUrl, {
    project: user ? ((p.members.get(user.id) ?? 0) as 0) : 0,
    group: user ? ((inheritedMembers(p.group).get(user.id) ?? 0) as 0) : 0,
  });
  // GitLab shows the project's runner registration token to those who administer it (Maintainer+).
  if (ctx.store.accessLevel(user, p) < ACCESS.maintainer) return json;
  return { ...json, runners_token: runnersToken(p) };
}

/** A stable per-project registration token in GitLab's legacy format. */
function runnersToken(p: ProjectRecord): string {
  return `GR1348941${createHash('sha256').update(`runners-${p.id}-${p.created_at}`).digest('base64url').slice(0, 20)}`;
}
