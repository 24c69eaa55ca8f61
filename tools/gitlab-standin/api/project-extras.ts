import { git } from '../git/run';
import * as repo from '../git/repo';
import { paginate } from '../http/paginate';
import type { Router } from '../http/router';
import { ApiError } from '../http/types';
import { ACCESS, inheritedMembers, type ProjectRecord } from '../model';
import type { Store } from '../store';
import { basicUser } from '../present/users';
import { projectFor } from './common';

/** Read-only context an agent or the app may ask for: tree, files, tags, members, labels, milestones, pipelines. */
export function projectExtraRoutes(router: Router): void {
  router.get('/projects/:id/repository/tree', async (ctx) => {
    const { project } = projectFor(ctx, ACCESS.reporter);
    const ref = ctx.query.get('ref') ?? project.default_branch ?? 'HEAD';
    const path = (ctx.query.get('path') ?? '').replace(/^\/+|\/+$/g, '');
    const args = [
      'ls-tree',
      ...(ctx.query.get('recursive') === 'true' ? ['-r', '-t'] : []),
      ref,
      ...(path ? [`${path}/`] : []),
    ];
    const r = await git(args, { gitDir: project.repo_dir });
    if (r.code !== 0) throw new ApiError(404, { message: '404 Tree Not Found' });
    const entries = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [meta = '', name = ''] = line.split('\t');
        const [mode = '', type = '', id = ''] = meta.split(' ');
        return { id, name: name.split('/').pop() ?? name, type, path: name, mode };
      });
    return paginate(ctx, entries);
  });

  router.get('/projects/:id/repository/files/:path', async (ctx) => {
    const { project } = projectFor(ctx, ACCESS.reporter);
    const ref = ctx.query.get('ref');
    if (!ref) throw new ApiError(400, { error: 'ref is missing' });
    const path = ctx.params.path ?? '';
    const content = await repo.readFile(project.repo_dir, ref, path);
    const commit = await repo.revParse(project.repo_dir, ref);
    if (content === null || !commit) throw new ApiError(404, { message: '404 File Not Found' });
    const blob = (await git(['rev-parse', `${ref}:${path}`], { gitDir: project.repo_dir })).stdout.trim();
    const { createHash } = await import('node:crypto');
    return {
      body: {
        file_name: path.split('/').pop(),
        file_path: path,
        size: content.length,
        encoding: 'base64',
        content_sha256: createHash('sha256').update(content).digest('hex'),
        ref,
        blob_id: blob,
        commit_id: commit,
        last_commit_id: (await repo.commits(project.repo_dir, [commit], { maxCount: 1, path }))[0]?.id ?? commit,
        execute_filemode: false,
        content: content.toString('base64'),
      },
    };
  });

  router.get('/projects/:id/repository/tags', async (ctx) => {
    const { project } = projectFor(ctx, ACCESS.reporter);
    const r = await git(['for-each-ref', '--format=%(refname:strip=2)', 'refs/tags'], { gitDir: project.repo_dir });
    return paginate(
      ctx,
      r.stdout
        .split('\n')
        .filter(Boolean)
        .map((name) => ({ name, message: '', target: '', commit: null, release: null, protected: false })),
    );
  });

  const members = (store: Store, project: ProjectRecord, all: boolean, baseUrl: string) => {
    const levels = new Map<number, number>(all ? inheritedMembers(project.group) : []);
    for (const [id, level] of project.members) levels.set(id, Math.max(levels.get(id) ?? 0, level));
    return [...levels].flatMap(([id, access_level]) => {
      const u = store.userById(id);
      return u ? [{ ...basicUser(u, baseUrl), access_level, created_at: u.created_at, expires_at: null }] : [];
    });
  };
  router.get('/projects/:id/members', (ctx) => {
    const { project } = projectFor(ctx, ACCESS.none);
    return paginate(ctx, members(ctx.store, project, false, ctx.baseUrl));
  });
  router.get('/projects/:id/members/all', (ctx) => {
    const { project } = projectFor(ctx, ACCESS.none);
    return paginate(ctx, members(ctx.store, project, true, ctx.baseUrl));
  });

  router.get('/projects/:id/labels', (ctx) => {
    const { project } = projectFor(ctx, ACCESS.none);
    const names = [...new Set([...project.merge_requests, ...project.issues].flatMap((x) => x.labels))].sort();
    return paginate(
      ctx,
      names.map((name, i) => ({
        id: i + 1,
        name,
        color: '#6699cc',
        text_color: '#FFFFFF',
        description: null,
        priority: null,
        is_project_label: true,
      })),
    );
  });
  router.get('/projects/:id/milestones', (ctx) => {
    projectFor(ctx, ACCESS.none);
    return paginate(ctx, []);
  });
  // No CI in the stand-in: pipelines and jobs exist as empty lists.
  router.get('/projects/:id/pipelines', (ctx) => {
    projectFor(ctx, ACCESS.reporter);
    return paginate(ctx, []);
  });
  router.get('/projects/:id/jobs', (ctx) => {
    projectFor(ctx, ACCESS.reporter);
    return paginate(ctx, []);
  });
}
