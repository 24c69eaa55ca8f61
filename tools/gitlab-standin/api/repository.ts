import { ACCESS, pathWithNamespace, type AccessLevel, type ProjectRecord } from '../model';
import { bool, int, str } from '../http/body';
import { paginate } from '../http/paginate';
import type { Router } from '../http/router';
import { ApiError, errors, type Ctx } from '../http/types';
import * as repo from '../git/repo';
import { branchJson, commitJson, protectedBranchJson } from '../present/projects';
import { projectFor, requireParams } from './common';

/** Branches, protected branches, commits, compare and raw files of a project's repository. */
export function repositoryRoutes(router: Router): void {
  router.get('/projects/:id/repository/branches', async (ctx) => {
    const { project, level } = projectFor(ctx, ACCESS.reporter);
    const search = ctx.query.get('search')?.toLowerCase();
    const branches = (await repo.branchesWithCommits(project.repo_dir, project.default_branch ?? 'HEAD')).filter(
      (b) => !search || b.name.toLowerCase().includes(search),
    );
    return paginate(
      ctx,
      branches.map((b) => presentBranch(ctx, project, level, b)),
    );
  });

  router.get('/projects/:id/repository/branches/:branch', async (ctx) => {
    const { project, level } = projectFor(ctx, ACCESS.reporter);
    const body = await showBranch(ctx, project, level, ctx.params.branch ?? '');
    if (!body) throw errors.notFound('Branch');
    return { body };
  });

  router.post('/projects/:id/repository/branches', async (ctx) => {
    const { project, level } = projectFor(ctx, ACCESS.developer);
    requireParams(ctx, ['branch', 'ref']);
    const name = str(ctx.body.branch) ?? '';
    if (!(await repo.isValidBranchName(name))) throw errors.badRequest('Branch name is invalid');
    if (await repo.revParse(project.repo_dir, `refs/heads/${name}`)) throw errors.badRequest('Branch already exists');
    const protection = ctx.store.protectionFor(project, name);
    if (protection && level < protection.push_access_level) throw errors.forbidden();
    const sha = await repo.revParse(project.repo_dir, str(ctx.body.ref) ?? '');
    if (!sha) throw errors.badRequest('Invalid reference name');
    await repo.createBranch(project.repo_dir, name, sha);
    touch(ctx, project);
    return { status: 201, body: await showBranch(ctx, project, level, name) };
  });

  router.delete('/projects/:id/repository/branches/:branch', async (ctx) => {
    const { project } = projectFor(ctx, ACCESS.developer);
    const name = ctx.params.branch ?? '';
    if (!(await repo.revParse(project.repo_dir, `refs/heads/${name}`))) throw errors.notFound('Branch');
    if (name === project.default_branch) throw errors.badRequest('The default branch of a project cannot be deleted.');
    if (ctx.store.protectionFor(project, name)) throw errors.forbidden();
    await repo.deleteBranch(project.repo_dir, name);
    return { status: 204, body: undefined };
  });

  router.get('/projects/:id/protected_branches', (ctx) => {
    const { project } = projectFor(ctx, ACCESS.reporter);
    const search = ctx.query.get('search');
    return paginate(
      ctx,
      project.protected_branches.filter((b) => !search || b.name.includes(search)).map(protectedBranchJson),
    );
  });

  router.get('/projects/:id/protected_branches/:name', (ctx) => {
    const { project } = projectFor(ctx, ACCESS.reporter);
    const found = project.protected_branches.find((b) => b.name === ctx.params.name);
    if (!found) throw errors.notFound();
    return { body: protectedBranchJson(found) };
  });

  router.post('/projects/:id/protected_branches', (ctx) => {
    const { project } = projectFor(ctx, ACCESS.maintainer);
    requireParams(ctx, ['name']);
    const name = str(ctx.body.name) ?? '';
    if (project.protected_branches.some((b) => b.name === name))
      throw errors.conflict("Protected branch '" + name + "' already exists");
    const access = (key: string): AccessLevel => (int(ctx.body[key]) ?? ACCESS.maintainer) as AccessLevel;
    const record = {
      id: ctx.store.ids.take('protected_branch'),
      name,
      push_access_level: access('push_access_level'),
      merge_access_level: access('merge_access_level'),
      allow_force_push: bool(ctx.body.allow_force_push) ?? false,
    };
    project.protected_branches.push(record);
    return { status: 201, body: protectedBranchJson(record) };
  });

  router.delete('/projects/:id/protected_branches/:name', (ctx) => {
    const { project } = projectFor(ctx, ACCESS.maintainer);
    const index = project.protected_branches.findIndex((b) => b.name === ctx.params.name);
    if (index < 0) throw errors.notFound();
    project.protected_branches.splice(index, 1);
    return { status: 204, body: undefined };
  });

  router.get('/projects/:id/repository/commits', async (ctx) => {
    const { project } = projectFor(ctx, ACCESS.reporter);
    const ref = ctx.query.get('ref_name') ?? project.default_branch ?? 'HEAD';
    const sha = await repo.revParse(project.repo_dir, ref);
    if (!sha) throw errors.notFound('Commit');
    const all = await repo.commits(project.repo_dir, [sha], { path: ctx.query.get('path') ?? undefined });
    const page = paginate(ctx, all);
    page.body = (page.body as typeof all).map((c) => commitJson(c, project, ctx.baseUrl));
    return page;
  });

  router.get('/projects/:id/repository/commits/:sha', async (ctx) => {
    const { project } = projectFor(ctx, ACCESS.reporter);
    const c = await repo.commit(project.repo_dir, ctx.params.sha ?? '');
    if (!c) throw errors.notFound('Commit');
    return { body: { ...commitJson(c, project, ctx.baseUrl), stats: undefined, status: null, project_id: project.id } };
  });

  router.get('/projects/:id/repository/compare', async (ctx) => {
    const { project } = projectFor(ctx, ACCESS.reporter);
    const from = ctx.query.get('from');
    const to = ctx.query.get('to');
    if (!from || !to) throw errors.missing([!from ? 'from' : '', !to ? 'to' : ''].filter(Boolean));
    const fromSha = await repo.revParse(project.repo_dir, from);
    const toSha = await repo.revParse(project.repo_dir, to);
    if (!fromSha || !toSha) throw errors.notFound();
    const straight = bool(ctx.query.get('straight') ?? undefined) ?? false;
    const base = straight ? fromSha : ((await repo.mergeBase(project.repo_dir, fromSha, toSha)) ?? fromSha);
    const list = (await repo.commits(project.repo_dir, [`${base}..${toSha}`])).reverse();
    const diffs = await repo.diff(project.repo_dir, base, toSha);
    const head = list.at(-1);
    return {
      body: {
        commit: head ? commitJson(head, project, ctx.baseUrl) : null,
        commits: list.map((c) => commitJson(c, project, ctx.baseUrl)),
        diffs,
        compare_timeout: false,
        compare_same_ref: fromSha === toSha,
        web_url: `${ctx.baseUrl}/${pathWithNamespace(project)}/-/compare/${fromSha}...${toSha}`,
      },
    };
  });

  router.get('/projects/:id/repository/files/:path/raw', async (ctx) => {
    const { project } = projectFor(ctx, ACCESS.reporter);
    const ref = ctx.query.get('ref') ?? project.default_branch ?? 'HEAD';
    const content = await repo.readFile(project.repo_dir, ref, ctx.params.path ?? '');
    if (content === null) throw new ApiError(404, { message: '404 File Not Found' });
    return { body: content, headers: { 'content-type': 'text/plain; charset=utf-8' } };
  });
}

async function showBranch(ctx: Ctx, project: ProjectRecord, level: number, name: string) {
  const found = (
    await repo.branchesWithCommits(project.repo_dir, project.default_branch ?? 'HEAD', `refs/heads/${name}`)
  ).find((b) => b.name === name);
  return found && presentBranch(ctx, project, level, found);
}

function presentBranch(ctx: Ctx, project: ProjectRecord, level: number, b: repo.BranchInfo) {
  const protection = ctx.store.protectionFor(project, b.name);
  const canPush = level >= (protection ? protection.push_access_level : ACCESS.developer);
  return branchJson(project, b.name, b.commit, ctx.baseUrl, { protection, merged: b.merged, canPush });
}

export function touch(ctx: Ctx, project: ProjectRecord): void {
  project.last_activity_at = ctx.store.nowIso();
}
