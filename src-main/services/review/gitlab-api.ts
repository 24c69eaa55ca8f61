import { z } from 'zod';
import { CospecError } from '../../../src-shared/ipc/errors';
import { diagnoseHttpStatus, GitLabClient, hostnameOf } from '../gitlab';
import type { Dispatcher } from 'undici';
import type { GitAccess } from './git';
import { gitCredentialsOf } from '../accounts/git-credentials';
import type { AccountAccess } from '../accounts/access';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiAnswer {
  status: number;
  /** The parsed JSON body, or undefined when the answer was not JSON. */
  json: unknown;
  headers: Headers;
}

/**
 * The small GitLab API the review service needs, bound to one account. `call` resolves for every
 * HTTP status so each action can say what a 405 or 409 means for it; it rejects only for network
 * failures (already diagnosed) and for authentication failures (after one OAuth refresh).
 */
export interface ReviewGitLab {
  readonly host: string;
  /** The instance's base URL as the account was connected (with any path, e.g. /gitlab). */
  readonly instanceUrl: string;
  call(method: HttpMethod, pathAndQuery: string, body?: unknown): Promise<ApiAnswer>;
  /** Credentials and network for fetching from this instance with git. */
  gitAccess(): Promise<GitAccess>;
}

/** What review needs from the accounts service (accounts/access.ts). */
export type ReviewAccounts = Pick<AccountAccess, 'get' | 'networkFor' | 'withToken' | 'credentialsFor'>;

/** Builds `gitlabFor(accountId)` from the accounts service: its token handling, CA and proxy. */
export function reviewGitLabFromAccounts(
  accounts: ReviewAccounts,
  http?: { timeoutMs?: number; retries?: number },
): (accountId: string) => ReviewGitLab {
  return (accountId) => {
    const account = accounts.get(accountId);
    if (!account)
      throw new CospecError(
        'NOT_FOUND',
        'The account of this run is no longer connected. Reconnect it under Integrations → GitLab.',
      );
    return createReviewGitLab({
      instanceUrl: account.instanceUrl,
      network: () => accounts.networkFor(accountId),
      withToken: (call) => accounts.withToken(accountId, call),
      gitCredentials: async () => gitCredentialsOf(await accounts.credentialsFor(accountId)),
      http,
    });
  };
}

export interface ReviewGitLabOptions {
  instanceUrl: string;
  network: () => { dispatcher: Dispatcher; caPem?: string; proxyUrl?: string };
  /** Runs a call with the current token; may refresh and retry once when the call fails with UNAUTHORIZED. */
  withToken: <T>(call: (token: string) => Promise<T>) => Promise<T>;
  gitCredentials: () => Promise<{ username: string; password: string }>;
  http?: { timeoutMs?: number; retries?: number };
}

/** A ReviewGitLab over the project's GitLabClient (retries, diagnosed network errors). */
export function createReviewGitLab(options: ReviewGitLabOptions): ReviewGitLab {
  const host = hostnameOf(options.instanceUrl);
  const client = () => {
    const net = options.network();
    return new GitLabClient({
      instanceUrl: options.instanceUrl,
      dispatcher: net.dispatcher,
      proxyUrl: net.proxyUrl,
      ...options.http,
    });
  };
  return {
    host,
    instanceUrl: options.instanceUrl.replace(/\/+$/, ''),
    async call(method, pathAndQuery, body) {
      const c = client();
      return options.withToken(async (token) => {
        const res = await c.raw(pathAndQuery, { method, token, body });
        // Auth failures throw so withToken can refresh an OAuth token and retry once.
        if (res.status === 401) throw diagnoseHttpStatus(res.status, res.body, { host });
        let json: unknown;
        if (/json/i.test(res.contentType)) {
          try {
            json = JSON.parse(res.body);
          } catch {
            json = undefined;
          }
        }
        return { status: res.status, json, headers: res.headers };
      });
    },
    async gitAccess() {
      const net = options.network();
      const creds = await options.gitCredentials();
      return { ...creds, caPem: net.caPem, proxyUrl: net.proxyUrl, dispatcher: net.dispatcher };
    },
  };
}

/** GitLab's error message from an answer body ({message} or {error}), for detail fields. */
export function gitlabMessage(answer: ApiAnswer): string {
  const body = answer.json as { message?: unknown; error?: unknown } | undefined;
  const m = body?.message ?? body?.error;
  if (typeof m === 'string') return m;
  if (m !== undefined) return JSON.stringify(m);
  return `HTTP ${answer.status}`;
}

/** Validates a successful answer, mapping failures the way every review call shares. */
export function expectOk<S extends z.ZodType>(
  gl: ReviewGitLab,
  answer: ApiAnswer,
  schema: S,
  what: string,
): z.infer<S> {
  if (answer.status === 404)
    throw new CospecError('NOT_FOUND', `${what} was not found on ${gl.host} (deleted, or the account lost access).`);
  if (answer.status >= 400)
    throw diagnoseHttpStatus(answer.status, JSON.stringify(answer.json ?? {}), { host: gl.host });
  const parsed = schema.safeParse(answer.json);
  if (!parsed.success)
    throw new CospecError(
      'NOT_GITLAB',
      `${gl.host} answered in a shape GitLab does not use (${what}).`,
      parsed.error.message,
    );
  return parsed.data;
}

/** Every page of a list endpoint (x-next-page), up to a sane bound. */
export async function getAllPages<S extends z.ZodType>(
  gl: ReviewGitLab,
  path: string,
  item: S,
  what: string,
  maxPages = 50,
): Promise<Array<z.infer<S>>> {
  const out: Array<z.infer<S>> = [];
  let page: string | null = '1';
  for (let n = 0; page && n < maxPages; n++) {
    const sep = path.includes('?') ? '&' : '?';
    const answer = await gl.call('GET', `${path}${sep}per_page=100&page=${page}`);
    out.push(...expectOk(gl, answer, z.array(item), what));
    const next = answer.headers.get('x-next-page');
    page = next && next !== page ? next : null;
  }
  return out;
}
