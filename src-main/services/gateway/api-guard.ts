import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRunProject } from './guard';
import type { ProjectIdResolver } from './gitlab-json';
import { findQuickActions } from './quick-actions';
import type { GatewayRefusal } from './record';
import type { GatewayRecorder } from './recorder';
import { MalformedBodyError, requestParams } from './request-params';

/**
 * Reads the whole body of an allowlisted API call that can change something (anything but GET
 * and HEAD) and decides it before GitLab sees a byte, on top of the route allowlist
 * (api-allowlist.ts), which cannot see inside bodies:
 *
 * - quick actions: GitLab runs `/merge`, `/approve`, `/move …` written in notes, discussion
 *   replies, note edits and issue or merge request descriptions (new or edited). Any line GitLab
 *   might run (quick-actions.ts) in any parameter, body or query, however encoded
 *   (request-params.ts), refuses the request: rewriting the agent's text would change what it
 *   meant to say, a refusal tells it what to fix;
 * - fields that move work to another project: `target_project_id`, `to_project_id`, any
 *   `*project*` field, must name a run project; namespace, group, fork and epic fields are
 *   refused. The query of a read is held to the same rule (`admitApiRead`);
 * - bodies the gateway cannot read the way GitLab would: compressed, over the size bound, or
 *   claiming a format they do not have; and method overrides, which would make GitLab run
 *   another route than the one the allowlist checked.
 *
 * Each refusal is answered in GitLab's JSON error shape with the reason, and recorded as a
 * `gateway.refusal`. An admitted body is handed back for forwarding unchanged.
 */

const BODY_LIMIT = 16 * 1024 * 1024;
// Rails' Rack::MethodOverride turns a POST with `_method` or this header into another method: the
// allowlist judged the POST, so the route GitLab would run is not the one that was checked.
const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];
const METHOD_OVERRIDE_REASON =
  'method overrides (_method, X-HTTP-Method-Override) are not allowed: send the real method';
const PROJECT_FIELD = /project(_id|_path|_ids)?$/i;
const NAMESPACE_FIELD =
  /(^|_)(namespace|namespace_id|namespace_path|group|group_id|group_path|fork|forked_from_id|epic|epic_id|epic_iid)$/i;

export interface ApiGuardContext {
  projectPaths: readonly string[];
  resolver: ProjectIdResolver;
  recorder: GatewayRecorder;
  token: string;
}

export type ApiAdmission = { admitted: true; body: Buffer } | { admitted: false; reason: string };

async function readBounded(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

type Verdict = { status: number; kind: GatewayRefusal['kind']; target: string; reason: string };

async function judge(ctx: ApiGuardContext, target: string, search: string, body: Buffer, type?: string) {
  let parsed: ReturnType<typeof requestParams>;
  try {
    parsed = requestParams(search, body, type);
  } catch (err) {
    if (!(err instanceof MalformedBodyError)) throw err;
    // A quick action is the more useful thing to tell the agent about, if there is one.
    parsed = { params: [], texts: err.texts };
    if (!parsed.texts.some((t) => findQuickActions(t).length > 0))
      return { status: 400, kind: 'api', target, reason: `${err.message}; send JSON or form parameters` } as Verdict;
  }
  const commands = [...new Set(parsed.texts.flatMap((t) => findQuickActions(t).map((q) => q.command)))];
  if (commands.length > 0) {
    return {
      status: 403,
      kind: 'quick_action',
      target: commands.join(' '),
      reason:
        `GitLab would run ${commands.join(', ')} as quick action${commands.length > 1 ? 's' : ''}, which agents ` +
        'may not use (they can merge, approve or move work). Nothing was sent. To write such a line as text, ' +
        'put it inside a ``` code block or start the line with another character.',
    } as Verdict;
  }
  return fieldVerdict(ctx, target, parsed.params);
}

/** A method override or a field naming another project, namespace, group or epic, in `params`. */
async function fieldVerdict(
  ctx: ApiGuardContext,
  target: string,
  params: Array<{ key: string; value: string }>,
): Promise<Verdict | undefined> {
  for (const { key, value } of params) {
    if (key.toLowerCase() === '_method')
      return { status: 403, kind: 'api', target, reason: METHOD_OVERRIDE_REASON } as Verdict;
    if (NAMESPACE_FIELD.test(key))
      return {
        status: 403,
        kind: 'api',
        target,
        reason: `${key} is not allowed: agents may not move work to another namespace, group or epic`,
      } as Verdict;
    if (!PROJECT_FIELD.test(key) || value === '') continue;
    const path = /^\d+$/.test(value)
      ? await ctx.resolver.pathOf(Number(value), ctx.token).catch(() => undefined)
      : value;
    if (!path || !isRunProject(ctx.projectPaths, path))
      return {
        status: 403,
        kind: 'api',
        target,
        reason: `${key}=${value} is not a project of this run (allowed: ${ctx.projectPaths.join(', ')})`,
      } as Verdict;
  }
  return undefined;
}

/**
 * Decides the query of one API read: a lookup may name another project too (`from_project_id`
 * of a compare reads another project's commits). On refusal the answer has been sent and the
 * refusal recorded.
 */
export async function admitApiRead(
  ctx: ApiGuardContext,
  res: ServerResponse,
  method: string,
  path: string,
  search: string,
): Promise<ApiAdmission> {
  if (!search) return { admitted: true, body: Buffer.alloc(0) };
  const target = `${method} ${path}`;
  const verdict = await fieldVerdict(ctx, target, requestParams(search, Buffer.alloc(0), undefined).params);
  if (!verdict) return { admitted: true, body: Buffer.alloc(0) };
  return refuseWith(ctx, res, verdict);
}

/**
 * Decides one API write. On refusal the answer has been sent and the refusal recorded; the
 * caller only logs the request.
 */
export async function admitApiWrite(
  ctx: ApiGuardContext,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  search: string,
): Promise<ApiAdmission> {
  const target = `${method} ${path}`;
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  let verdict: Verdict | undefined;
  const overridden = Object.keys(req.headers).some((h) => METHOD_OVERRIDE_HEADERS.includes(h.toLowerCase()));
  const body = encoding === 'identity' && !overridden ? await readBounded(req) : undefined;
  if (overridden) {
    req.resume();
    verdict = { status: 403, kind: 'api', target, reason: METHOD_OVERRIDE_REASON };
  } else if (encoding !== 'identity') {
    req.resume();
    verdict = { status: 415, kind: 'api', target, reason: 'compressed API request bodies are not accepted' };
  } else if (!body) {
    verdict = { status: 413, kind: 'api', target, reason: `API request bodies are limited to ${BODY_LIMIT} bytes` };
  } else {
    verdict = await judge(ctx, target, search, body, req.headers['content-type']);
  }
  if (!verdict && body) return { admitted: true, body };
  return refuseWith(ctx, res, verdict!);
}

function refuseWith(ctx: ApiGuardContext, res: ServerResponse, refusal: Verdict): ApiAdmission {
  const message = `coSPEC gateway: ${refusal.reason}`;
  const json = JSON.stringify({ message });
  res.writeHead(refusal.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
  // One entry per quick action, so the run can say how often each command was tried.
  const at = new Date().toISOString();
  const targets = refusal.kind === 'quick_action' ? refusal.target.split(' ') : [refusal.target];
  for (const target of targets)
    ctx.recorder.add('gateway.refusal', { at, kind: refusal.kind, target, reason: refusal.reason });
  return { admitted: false, reason: refusal.reason };
}
