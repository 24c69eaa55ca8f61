import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import type { Readable, Transform } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import type { Logger } from '../../platform/logger';
import { admitApiRead, admitApiWrite } from './api-guard';
import { requestParams } from './request-params';
import { isScrubbedResponse, sendScrubbed } from './api-response';
import { answerRunProjects } from './project-list';
import { classifyRequest, isRunProject, type RouteDecision } from './guard';
import { downstreamResponseHeaders, stripCredentialQuery, upstreamRequestHeaders } from './headers';
import {
  createdIssueSchema,
  createdMergeRequestSchema,
  createdNoteSchema,
  parseJson,
  type ProjectIdResolver,
} from './gitlab-json';
import { parseReportStatus, type RefUpdateCommand } from './pkt-line';
import type { PushGuard } from './push-guard';
import type { PushedRef } from './record';
import type { GatewayRecorder } from './recorder';
import { CaptureStream, RedactStream } from './streams';

/**
 * Forwards one request from the sandbox to the GitLab instance: decide (guard), add credentials
 * (headers), stream both bodies while keeping bounded copies of the parts worth recording, then
 * record what happened.
 */

/** POST /api/v4/projects/:id/repository/branches (the id or the encoded path). */
const BRANCH_CREATE = /^\/api\/v4\/projects\/[^/]+\/repository\/branches\/?$/;

export interface ForwardContext {
  /** e.g. "https://gitlab.example.com" */
  origin: string;
  /** The instance's base path without trailing slash ('' or e.g. '/gitlab'). */
  basePath: string;
  projectPaths: string[];
  getToken(): Promise<string>;
  dispatcher: Dispatcher | undefined;
  resolver: ProjectIdResolver;
  recorder: GatewayRecorder;
  logger: Logger;
  /** Decides every push before it reaches GitLab (push-guard.ts). */
  pushGuard: PushGuard;
}

const CAPTURE_LIMIT = 1024 * 1024;
const ZERO_SHA = /^0+$/;

function reply(res: ServerResponse, status: number, message: string, json: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = json ? JSON.stringify({ message: `coSPEC gateway: ${message}` }) : `coSPEC gateway: ${message}\n`;
  res.writeHead(status, {
    'content-type': json ? 'application/json' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * @param rawPath path relative to the instance base, still percent-encoded
 * @param search the query string ('' or '?…')
 */
export async function forwardRequest(
  ctx: ForwardContext,
  req: IncomingMessage,
  res: ServerResponse,
  rawPath: string,
  search: string,
): Promise<void> {
  const started = performance.now();
  const method = (req.method ?? 'GET').toUpperCase();
  const isApi = rawPath.startsWith('/api/');
  const logRequest = (kind: 'git' | 'api' | 'refused', status: number, reason?: string) =>
    ctx.recorder.add('gateway.request', {
      at: new Date().toISOString(),
      method,
      path: ctx.basePath + rawPath,
      kind,
      status,
      durationMs: Math.round(performance.now() - started),
      ...(reason ? { reason } : {}),
    });
  const refuse = (status: number, reason: string, kind: 'refused' | 'git' | 'api' = 'refused') => {
    req.resume(); // drain whatever body the client sends, so the socket can be reused
    reply(res, status, reason, isApi);
    logRequest(kind, status, reason);
  };

  const refusal = (reason: string) =>
    ctx.recorder.add('gateway.refusal', {
      at: new Date().toISOString(),
      kind: /git-receive-pack/.test(rawPath + search) ? 'push' : 'api',
      target: `${method} ${ctx.basePath + rawPath}`,
      reason,
    });
  const decision: RouteDecision = classifyRequest(method, rawPath, new URLSearchParams(search), ctx.projectPaths);
  if (decision.kind === 'refused') {
    refusal(decision.reason);
    return refuse(decision.status, decision.reason);
  }

  let token: string;
  try {
    token = await ctx.getToken();
  } catch (err) {
    ctx.logger.warn('gateway: credentials unavailable', { error: err instanceof Error ? err.message : String(err) });
    return refuse(502, "the account's GitLab credentials are unavailable (signed out or expired?)", decision.kind);
  }

  let projectPath = decision.kind === 'git' ? decision.projectPath : undefined;
  if (decision.kind === 'api' && decision.project) {
    if ('id' in decision.project) {
      const id = decision.project.id;
      const path = await ctx.resolver.pathOf(id, token).catch(() => undefined);
      if (!path || !isRunProject(ctx.projectPaths, path)) {
        const reason = `project id ${id} is not part of this run (allowed: ${ctx.projectPaths.join(', ')})`;
        refusal(reason);
        return refuse(403, reason);
      }
      projectPath = path;
    } else projectPath = decision.project.path;
  }

  const kind = decision.kind;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const isPush = decision.kind === 'git' && decision.service === 'git-receive-pack' && decision.endpoint === 'rpc';
  let body: Readable | Buffer | null = hasBody ? req : null;
  const scrub = { projectPaths: ctx.projectPaths, secrets: [token] };
  if (decision.kind === 'api' && !hasBody) {
    const guard = { projectPaths: ctx.projectPaths, resolver: ctx.resolver, recorder: ctx.recorder, token };
    const admission = await admitApiRead(guard, res, method, ctx.basePath + rawPath, search);
    if (!admission.admitted) {
      req.resume();
      return logRequest('refused', res.statusCode, admission.reason);
    }
  }
  if (decision.kind === 'api' && decision.runProjects) {
    req.resume();
    const apiBase = `${ctx.origin}${ctx.basePath}/api/v4`;
    const listed = await answerRunProjects(res, {
      apiBase,
      token,
      dispatcher: ctx.dispatcher,
      query: new URLSearchParams(search),
      scrub,
    });
    return logRequest('api', listed);
  }
  if (decision.kind === 'api' && hasBody) {
    const guard = { projectPaths: ctx.projectPaths, resolver: ctx.resolver, recorder: ctx.recorder, token };
    const admission = await admitApiWrite(guard, req, res, method, ctx.basePath + rawPath, search);
    if (!admission.admitted) return logRequest('refused', res.statusCode, admission.reason);
    body = admission.body;
  }
  // A branch made through the API follows the push rules (the run's prefix, never the default or a
  // protected branch), and becomes one of the run's own branches once GitLab created it.
  let apiBranch: string | undefined;
  if (method === 'POST' && projectPath && Buffer.isBuffer(body) && BRANCH_CREATE.test(rawPath)) {
    const params = requestParams(search, body, req.headers['content-type']).params;
    apiBranch = params.filter((p) => p.key === 'branch').pop()?.value ?? '';
    const reason = await ctx.pushGuard.admitBranchCreation(projectPath, apiBranch, token);
    if (reason) {
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end(JSON.stringify({ message: `403 Forbidden - coSPEC gateway: ${reason}` }));
      return logRequest('refused', 403, reason);
    }
  }
  let pushCommands: RefUpdateCommand[] | undefined;
  if (isPush && projectPath) {
    const admission = await ctx.pushGuard.admit(req, res, projectPath, token);
    if (!admission.admitted) return logRequest('refused', res.statusCode, 'push refused by the gateway');
    // The guard hands back the body it read (decompressed, possibly with ci.skip added).
    body = admission.body;
    pushCommands = admission.commands;
  }
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  let upstream: Dispatcher.ResponseData;
  try {
    upstream = await request(`${ctx.origin}${ctx.basePath}${rawPath}${stripCredentialQuery(search)}`, {
      method: method as Dispatcher.HttpMethod,
      headers: pushHeaders(upstreamRequestHeaders(req.headers, kind === 'git' ? 'git' : 'api', token), isPush),
      body,
      signal: abort.signal,
      ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.recorder.note('warn', 'gateway.upstream_error', { method, path: ctx.basePath + rawPath, error: message });
    return refuse(502, `GitLab could not be reached: ${message}`, kind);
  }

  const status = upstream.statusCode;
  if (status === 401) {
    await upstream.body.dump();
    return refuse(401, "GitLab refused the account's credentials (token revoked or expired?)", kind);
  }

  const wantsRecord = kind === 'api' && decision.kind === 'api' && !!decision.records && status === 201;
  if (kind === 'api' && isScrubbedResponse(upstream.headers)) {
    // Secrets are fields of the JSON, so the answer is read whole, cleaned and then sent.
    const sent = await sendScrubbed(upstream, res, scrub);
    logRequest(kind, res.statusCode);
    if (status === 202 && decision.kind === 'api' && decision.records === 'note')
      ctx.recorder.note('info', 'gateway.note_commands_only', { path: ctx.basePath + rawPath });
    if (wantsRecord && sent && projectPath && decision.kind === 'api')
      recordCreated(ctx, decision, projectPath, sent, new Date().toISOString());
    if (apiBranch !== undefined && projectPath && status === 201 && sent)
      ctx.pushGuard.settle(projectPath, [{ branch: apiBranch, change: 'created', result: 'ok' }]);
    return;
  }
  const transforms: Transform[] = [];
  if (kind === 'api') transforms.push(new RedactStream(token));
  let responseCopy: CaptureStream | undefined;
  if ((kind === 'api' && decision.kind === 'api' && decision.records && status === 201) || isPush) {
    responseCopy = new CaptureStream(CAPTURE_LIMIT);
    transforms.push(responseCopy);
  }
  res.writeHead(status, downstreamResponseHeaders(upstream.headers));
  let streamError: string | undefined;
  try {
    await pipelineAsync([upstream.body, ...transforms, res]);
  } catch (err) {
    streamError = err instanceof Error ? err.message : String(err);
  }
  logRequest(kind, status, streamError);

  const at = new Date().toISOString();
  if (apiBranch !== undefined && projectPath && status === 201 && !streamError)
    ctx.pushGuard.settle(projectPath, [{ branch: apiBranch, change: 'created', result: 'ok' }]);
  if (isPush && pushCommands && projectPath) {
    const results = pushResults(pushCommands, status, responseCopy?.captured(), streamError);
    for (const entry of results) ctx.recorder.add('gateway.push', { at, projectPath, ...entry });
    ctx.pushGuard.settle(projectPath, results);
  }
  if (decision.kind === 'api' && decision.records && responseCopy && projectPath && !streamError) {
    recordCreated(ctx, decision, projectPath, responseCopy.captured(), at);
  }
}

/** A push's body was rebuilt by the guard: its length and encoding are no longer the client's. */
function pushHeaders(headers: Record<string, string | string[]>, isPush: boolean): Record<string, string | string[]> {
  if (!isPush) return headers;
  const out = { ...headers };
  for (const name of Object.keys(out)) {
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'content-encoding') delete out[name];
  }
  return out;
}

function pushResults(
  commands: RefUpdateCommand[],
  status: number,
  response: Buffer | undefined,
  streamError: string | undefined,
): Array<Omit<PushedRef, 'at' | 'projectPath'>> {
  const report = status === 200 && response ? parseReportStatus(response) : undefined;
  const remote = report?.messages.length ? ` (${report.messages.join(' ').slice(0, 400)})` : '';
  return commands.map((c) => {
    const base = {
      ref: c.ref,
      ...(c.ref.startsWith('refs/heads/') ? { branch: c.ref.slice('refs/heads/'.length) } : {}),
      oldSha: c.oldSha,
      newSha: c.newSha,
      change: ZERO_SHA.test(c.oldSha)
        ? ('created' as const)
        : ZERO_SHA.test(c.newSha)
          ? ('deleted' as const)
          : ('updated' as const),
    };
    if (status !== 200) return { ...base, result: 'rejected' as const, reason: `HTTP ${status}` };
    const ref = report?.refs.get(c.ref);
    if (ref)
      return ref.ok
        ? { ...base, result: 'ok' as const }
        : { ...base, result: 'rejected' as const, reason: `${ref.reason ?? 'rejected'}${remote}` };
    if (report?.unpack && report.unpack !== 'ok')
      return { ...base, result: 'rejected' as const, reason: `unpack ${report.unpack}${remote}` };
    return { ...base, result: 'unknown' as const, reason: streamError ?? 'no report-status for this ref' };
  });
}

function recordCreated(
  ctx: ForwardContext,
  decision: Extract<RouteDecision, { kind: 'api' }>,
  projectPath: string,
  body: Buffer,
  at: string,
): void {
  if (decision.records === 'merge_request') {
    const mr = parseJson(createdMergeRequestSchema, body);
    if (mr) {
      ctx.recorder.add('gateway.merge_request', {
        at,
        projectPath,
        iid: mr.iid,
        webUrl: mr.web_url,
        sourceBranch: mr.source_branch,
        targetBranch: mr.target_branch,
        title: mr.title,
      });
    }
  } else if (decision.records === 'issue') {
    const issue = parseJson(createdIssueSchema, body);
    if (issue)
      ctx.recorder.add('gateway.issue', { at, projectPath, iid: issue.iid, webUrl: issue.web_url, title: issue.title });
  } else if (decision.records === 'note' && decision.noteable) {
    const note = parseJson(createdNoteSchema, body);
    if (note) {
      ctx.recorder.add('gateway.note', {
        at,
        projectPath,
        noteableType: decision.noteable.type,
        noteableIid: decision.noteable.iid,
        id: note.id,
      });
    }
  }
}
