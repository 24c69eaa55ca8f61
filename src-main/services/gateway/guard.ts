import { GLOBAL_RULES, PROJECT_RULES, matchRule, type RecordKind } from './api-allowlist';

/**
 * Decides what one request from the sandbox is: git smart HTTP for one of the run's projects, an
 * allowed REST call, or something refused with a reason the agent can read. Pure: the only part
 * it cannot decide alone — which project a numeric API id names — comes back as `projectId` for
 * the caller to resolve and check with `isRunProject`.
 */

export type GitService = 'git-upload-pack' | 'git-receive-pack';

export type RouteDecision =
  | { kind: 'git'; projectPath: string; service: GitService; endpoint: 'info-refs' | 'rpc' }
  | {
      kind: 'api';
      /** The project named in the path, when the call is project-scoped. */
      project?: { path: string } | { id: number };
      records?: RecordKind;
      /** For notes: which merge request or issue the note belongs to. */
      noteable?: { type: 'merge_request' | 'issue'; iid: number };
      /** The project list, which the gateway answers itself with the run's projects. */
      runProjects?: true;
    }
  | { kind: 'refused'; status: 400 | 403; reason: string };

const GIT_PATH = /^\/(.+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const API_PREFIX = '/api/v4';

/** Case-insensitive, as GitLab treats namespace and project paths. */
export function normaliseProjectPath(path: string): string {
  return path
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/i, '')
    .toLowerCase();
}

export function isRunProject(projectPaths: readonly string[], path: string): boolean {
  const wanted = normaliseProjectPath(path);
  return projectPaths.some((p) => normaliseProjectPath(p) === wanted);
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * @param rawPath the request path relative to the instance's base URL, still percent-encoded
 * @param query the request's query parameters
 */
export function classifyRequest(
  method: string,
  rawPath: string,
  query: URLSearchParams,
  projectPaths: readonly string[],
): RouteDecision {
  const segments = rawPath.split('/').slice(1);
  for (const seg of segments) {
    const decoded = safeDecode(seg);
    // Dot segments could be normalised by a server in front of GitLab into a path we did not check.
    if (decoded === undefined || decoded === '.' || decoded === '..' || decoded.includes('\\')) {
      return { kind: 'refused', status: 400, reason: 'malformed or dot-segment path' };
    }
  }
  if (query.has('sudo'))
    return { kind: 'refused', status: 403, reason: 'sudo (acting as another user) is not allowed through the gateway' };

  if (rawPath === API_PREFIX || rawPath.startsWith(API_PREFIX + '/'))
    return classifyApi(method, rawPath.slice(API_PREFIX.length), projectPaths);
  if (rawPath.startsWith('/api/'))
    return {
      kind: 'refused',
      status: 403,
      reason: 'only the REST API v4 is reachable through the gateway (no GraphQL)',
    };

  if (/\/info\/lfs(\/|$)/.test(rawPath)) {
    // LFS batch responses hand out credentials in their "header" fields, which would reach the sandbox.
    return { kind: 'refused', status: 403, reason: 'git LFS is not available through the credential gateway' };
  }
  const git = GIT_PATH.exec(rawPath);
  if (!git)
    return {
      kind: 'refused',
      status: 403,
      reason: 'only git smart HTTP and the REST API v4 are reachable through the gateway',
    };
  const projectPath = git[1]!
    .split('/')
    .map((s) => safeDecode(s) ?? s)
    .join('/');
  const endpoint = git[2] === 'info/refs' ? 'info-refs' : 'rpc';
  const service = endpoint === 'info-refs' ? query.get('service') : git[2];
  if (service !== 'git-upload-pack' && service !== 'git-receive-pack') {
    return {
      kind: 'refused',
      status: 403,
      reason: 'only git smart HTTP (upload-pack, receive-pack) is reachable through the gateway',
    };
  }
  if (endpoint === 'info-refs' ? method !== 'GET' && method !== 'HEAD' : method !== 'POST') {
    return { kind: 'refused', status: 403, reason: `method ${method} not allowed on ${git[2]}` };
  }
  if (!isRunProject(projectPaths, projectPath)) {
    return {
      kind: 'refused',
      status: 403,
      reason: `project ${projectPath} is not part of this run (allowed: ${projectPaths.join(', ')})`,
    };
  }
  return { kind: 'git', projectPath, service, endpoint };
}

function classifyApi(method: string, rest: string, projectPaths: readonly string[]): RouteDecision {
  const refuse = (): RouteDecision => ({
    kind: 'refused',
    status: 403,
    reason: `${method} /api/v4${rest} is not on the gateway's API allowlist for agents`,
  });
  const project = /^\/projects\/([^/]+)(\/.*)?$/.exec(rest);
  if (!project) {
    const global = matchRule(GLOBAL_RULES, method, rest);
    if (!global) return refuse();
    return global.runProjects ? { kind: 'api', runProjects: true } : { kind: 'api' };
  }

  const idSegment = project[1]!;
  const sub = project[2] ?? '';
  const rule = matchRule(PROJECT_RULES, method, sub);
  if (!rule) return refuse();
  let ref: { path: string } | { id: number };
  if (/^\d+$/.test(idSegment)) ref = { id: Number(idSegment) };
  else {
    const path = safeDecode(idSegment)!;
    if (!isRunProject(projectPaths, path)) {
      return {
        kind: 'refused',
        status: 403,
        reason: `project ${path} is not part of this run (allowed: ${projectPaths.join(', ')})`,
      };
    }
    ref = { path };
  }
  const decision: RouteDecision = { kind: 'api', project: ref };
  if (rule.records) decision.records = rule.records;
  const noteable = /^\/(merge_requests|issues)\/(\d+)\/notes$/.exec(sub);
  if (rule.records === 'note' && noteable) {
    decision.noteable = { type: noteable[1] === 'issues' ? 'issue' : 'merge_request', iid: Number(noteable[2]) };
  }
  return decision;
}
