import type { IncomingMessage, ServerResponse } from 'node:http';
import { globalListRoutes } from './api/global-lists';
import { metaRoutes } from './api/meta';
import { issueRoutes } from './api/issues';
import { mergeRequestRoutes, refreshMergeRequests } from './api/merge-requests';
import { projectExtraRoutes } from './api/project-extras';
import { projectRoutes } from './api/projects';
import { repositoryRoutes } from './api/repository';
import { authenticateApi } from './auth';
import type { Faults } from './faults';
import { handleGit, isGitRequest } from './git/http-backend';
import { listBranches } from './git/repo';
import { gitOk } from './git/run';
import { applyPushOptions, type PushEvent } from './git/push-options';
import { parseParams, readBody } from './http/body';
import { Router } from './http/router';
import { ApiError, type Ctx, type Reply } from './http/types';
import type { OAuthServer } from './oauth/server';
import type { Store } from './store';

export interface ServerParts {
  store: Store;
  /** Accepted pushes with their push options, per project id. */
  pushEvents: Map<number, PushEvent[]>;
  faults: Faults;
  oauth: OAuthServer;
  version: string;
  reposDir: string;
  hooksDir: string;
  baseUrl: () => string;
}

/** The request handler: faults first, then REST, OAuth, git smart HTTP and a few web pages. */
export function createHandler(parts: ServerParts) {
  const router = new Router();
  metaRoutes(router, parts.version);
  projectRoutes(router);
  repositoryRoutes(router);
  projectExtraRoutes(router);
  mergeRequestRoutes(router);
  issueRoutes(router);
  globalListRoutes(router);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const pathname = url.pathname;
    try {
      if (await parts.faults.apply(req, res, pathname)) return;
      if (pathname.startsWith('/api/v4/'))
        return await api(req, res, router, parts, pathname.slice('/api/v4'.length), url.searchParams);
      if (pathname.startsWith('/oauth/') && (await parts.oauth.handle(req, res, pathname, url.searchParams))) return;
      if (isGitRequest(pathname)) {
        return await handleGit(req, res, {
          store: parts.store,
          pathname,
          query: url.searchParams,
          reposDir: parts.reposDir,
          hooksDir: parts.hooksDir,
          onPush: async (p, push) => {
            p.last_activity_at = parts.store.nowIso();
            // The first push into an empty repository gives it its default branch: the instance's
            // default name (main) when pushed, else the first branch.
            if (p.default_branch === null) {
              const names = (await listBranches(p.repo_dir)).map((b) => b.name);
              if (names.length > 0) {
                p.default_branch = names.includes('main') ? 'main' : names[0]!;
                await gitOk(['symbolic-ref', 'HEAD', `refs/heads/${p.default_branch}`], { gitDir: p.repo_dir });
              }
            }
            if (push.refs.length) {
              const event = await applyPushOptions(parts.store, p, push.userId, push.refs, push.options);
              parts.pushEvents.set(p.id, [...(parts.pushEvents.get(p.id) ?? []), event]);
            }
            await refreshMergeRequests(p);
          },
        });
      }
      if (pathname === '/-/health') return send(res, 200, 'GitLab OK', 'text/plain');
      if (pathname === '/' || pathname === '/users/sign_in') {
        return send(
          res,
          200,
          '<!DOCTYPE html><html><head><title>Sign in · GitLab</title></head><body><h1>GitLab</h1><p>GitLab stand-in for coSPEC tests.</p></body></html>',
          'text/html; charset=utf-8',
        );
      }
      send(
        res,
        404,
        '<!DOCTYPE html><html><head><title>Not Found</title></head><body><h1>404</h1><p>Page Not Found</p></body></html>',
        'text/html; charset=utf-8',
      );
    } catch (error) {
      if (!res.headersSent)
        send(
          res,
          500,
          JSON.stringify({ message: '500 Internal Server Error', detail: String(error) }),
          'application/json',
        );
      else res.destroy();
    }
  };
}

async function api(
  req: IncomingMessage,
  res: ServerResponse,
  router: Router,
  parts: ServerParts,
  path: string,
  query: URLSearchParams,
): Promise<void> {
  const method = req.method ?? 'GET';
  let reply: Reply;
  try {
    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = parseParams(req.headers['content-type'], raw, query);
    } catch {
      throw new ApiError(400, { error: 'The request body is not valid JSON' });
    }
    const principal = authenticateApi(parts.store, req, query);
    const { handler, params } = router.match(method, path);
    if (!handler) throw new ApiError(404, { error: '404 Not Found' });
    const ctx: Ctx = { req, res, method, params, query, body, store: parts.store, baseUrl: parts.baseUrl(), principal };
    reply = await handler(ctx);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    reply = { status: error.status, body: error.body, headers: error.headers };
  }
  const status = reply.status ?? 200;
  const headers: Record<string, string> = {
    'cache-control': 'max-age=0, private, must-revalidate',
    'x-request-id': Math.random().toString(36).slice(2),
    ...reply.headers,
  };
  if (reply.body === undefined) {
    res.writeHead(status, headers);
    res.end();
  } else if (Buffer.isBuffer(reply.body)) {
    res.writeHead(status, { 'content-type': 'application/octet-stream', ...headers });
    res.end(method === 'HEAD' ? undefined : reply.body);
  } else {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(method === 'HEAD' ? undefined : JSON.stringify(reply.body));
  }
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}
