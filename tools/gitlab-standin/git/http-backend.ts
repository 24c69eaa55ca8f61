import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { principalForBasic, tokenAllowsGit, type Principal } from '../auth';
import { ACCESS, type ProjectRecord } from '../model';
import type { Store } from '../store';
import type { PushedRefUpdate } from './push-options';
import { cleanGitEnv } from './run';

/** Paths git smart HTTP uses, with or without the .git suffix as GitLab accepts. */
const GIT_PATH = /^\/(.+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;

export function isGitRequest(pathname: string): boolean {
  return GIT_PATH.test(pathname);
}

/** Gitaly's internal ref namespaces that receive-pack hides. */
const HIDDEN_FROM_PUSH = [
  'refs/environments/',
  'refs/keep-around/',
  'refs/merge-requests/',
  'refs/pipelines/',
  'refs/tmp/',
];

const MESSAGES = {
  denied:
    "HTTP Basic: Access denied. If a password was provided for Git authentication, the password was incorrect or you're required to use a token instead of a password. If a token was provided, it was either incorrect, expired, or improperly scoped.",
  notFound: "The project you were looking for could not be found or you don't have permission to view it.",
  noDownload: 'You are not allowed to download code from this project.',
  noPush: 'You are not allowed to push code to this project.',
  archived: "You can't push code to an archived project.",
};

/**
 * Git over smart HTTP through the real `git http-backend`, spawned as a CGI script, with GitLab's
 * authentication and permission answers in front of it.
 */
export async function handleGit(
  req: IncomingMessage,
  res: ServerResponse,
  options: {
    store: Store;
    pathname: string;
    query: URLSearchParams;
    reposDir: string;
    hooksDir: string;
    /**
     * Runs after a push, before its response ends, so the pusher sees its effects (MR refs, statuses,
     * MRs from push options) at once; with the ref updates and push options the post-receive hook saw
     * (none when the push was refused).
     */
    onPush: (p: ProjectRecord, push: { userId: number; refs: PushedRefUpdate[]; options: string[] }) => Promise<void>;
  },
): Promise<void> {
  const m = GIT_PATH.exec(options.pathname);
  if (!m) return text(res, 404, MESSAGES.notFound);
  const [, projectPath = '', action = ''] = m;
  const service = action === 'info/refs' ? options.query.get('service') : action;
  if (service !== 'git-upload-pack' && service !== 'git-receive-pack')
    return text(res, 403, 'Dumb HTTP is not supported; use a git client that speaks smart HTTP.');
  const write = service === 'git-receive-pack';
  const auth = principalForBasic(options.store, req.headers.authorization);
  if (auth === 'invalid') return challenge(res, MESSAGES.denied);
  const principal: Principal | undefined = auth;
  const project = options.store.projectByRef(safeDecode(projectPath));
  const user = principal?.user;
  if (!project || !options.store.canSee(user, project))
    return user ? text(res, 404, MESSAGES.notFound) : challenge(res, MESSAGES.denied);
  if (write && !principal) return challenge(res, MESSAGES.denied);
  if (principal && !tokenAllowsGit(principal, write)) return challenge(res, MESSAGES.denied);
  // GitAccess#check_push_access! refuses an archived project before any role or branch check.
  if (write && project.archived) return text(res, 403, MESSAGES.archived);
  const level = options.store.accessLevel(user, project);
  if (!write && project.visibility === 'private' && level < ACCESS.reporter) return text(res, 403, MESSAGES.noDownload);
  if (write && level < ACCESS.developer) return text(res, 403, MESSAGES.noPush);

  const protectedRules = project.protected_branches
    .map((b) => `${b.name}:${b.push_access_level}:${b.allow_force_push ? 1 : 0}`)
    .join(' ');
  const env: Record<string, string> = {
    ...cleanGitEnv(),
    GIT_PROJECT_ROOT: options.reposDir,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: `/${relative(options.reposDir, project.repo_dir)}/${action}`,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: options.query.toString(),
    CONTENT_TYPE: String(req.headers['content-type'] ?? ''),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REMOTE_USER: user?.username ?? '',
    GIT_CONFIG_KEY_0: 'core.hooksPath',
    GIT_CONFIG_VALUE_0: options.hooksDir,
    GIT_CONFIG_KEY_1: 'http.receivepack',
    GIT_CONFIG_VALUE_1: 'true',
    // GitLab (Gitaly) advertises push-options, so `git push -o …` reaches it.
    GIT_CONFIG_KEY_2: 'receive.advertisePushOptions',
    GIT_CONFIG_VALUE_2: 'true',
    GL_ACCESS_LEVEL: String(level),
    GL_PROTECTED: protectedRules,
  };
  // GitLab's internal refs are fetchable but hidden from pushes, so a push to them is refused
  // ("deny updating a hidden ref"), as Gitaly's receive-pack does.
  HIDDEN_FROM_PUSH.forEach((prefix, i) => {
    env[`GIT_CONFIG_KEY_${3 + i}`] = 'receive.hideRefs';
    env[`GIT_CONFIG_VALUE_${3 + i}`] = prefix;
  });
  env.GIT_CONFIG_COUNT = String(3 + HIDDEN_FROM_PUSH.length);
  if (req.headers['content-length']) env.CONTENT_LENGTH = String(req.headers['content-length']);
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
  if (req.headers['git-protocol']) env.GIT_PROTOCOL = String(req.headers['git-protocol']);

  const pushLog = write && req.method === 'POST' ? join(tmpdir(), `standin-push-${randomUUID()}`) : undefined;
  if (pushLog) env.GL_PUSH_LOG = pushLog;
  // GitLab acts on push options in the post-receive call, before the push's response ends.
  await runCgi(req, res, env, async () => {
    if (!pushLog) return;
    const text = await readFile(pushLog, 'utf8').catch(() => '');
    await rm(pushLog, { force: true });
    const refs: PushedRefUpdate[] = [];
    const pushOptions: string[] = [];
    for (const line of text.split('\n')) {
      if (line.startsWith('option ')) pushOptions.push(line.slice('option '.length));
      const m = /^ref (\S+) (\S+) (\S+)$/.exec(line);
      if (m) refs.push({ before: m[1]!, after: m[2]!, ref: m[3]! });
    }
    await options.onPush(project, { userId: user?.id ?? 0, refs, options: pushOptions });
  });
}

function runCgi(
  req: IncomingMessage,
  res: ServerResponse,
  env: Record<string, string>,
  beforeEnd?: () => Promise<void>,
): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let head = Buffer.alloc(0);
    let headersSent = false;
    const stderr: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = findHeaderEnd(head);
      if (!end) return;
      const lines = head.subarray(0, end.index).toString('latin1').split(/\r?\n/).filter(Boolean);
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      headersSent = true;
      const rest = head.subarray(end.index + end.length);
      if (rest.length > 0) res.write(rest);
    });
    child.on('close', (code) => {
      if (!headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`git http-backend failed (${code}): ${Buffer.concat(stderr).toString('utf8')}`);
        resolve();
        return;
      }
      void (beforeEnd ?? (async () => undefined))()
        .catch(() => undefined)
        .finally(() => {
          res.end();
          resolve();
        });
    });
    child.on('error', () => undefined);
    child.stdin.on('error', () => undefined);
    req.pipe(child.stdin);
    req.on('aborted', () => child.kill());
  });
}

function findHeaderEnd(buf: Buffer): { index: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { index: crlf, length: 4 };
  if (lf >= 0) return { index: lf, length: 2 };
  return undefined;
}

function text(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${message}\n`);
}

function challenge(res: ServerResponse, message: string): void {
  res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Basic realm="GitLab"' });
  res.end(`${message}\n`);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
