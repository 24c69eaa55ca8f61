import { request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { CospecError } from '../../../src-shared/ipc/errors';
import { diagnoseHttpStatus, diagnoseNetworkError, isTransientNetworkError } from './diagnose';
import { hostnameOf } from './url';

export interface GitLabClientOptions {
  instanceUrl: string;
  dispatcher: Dispatcher;
  proxyUrl?: string;
  /** Timeout for one attempt (headers and body each). */
  timeoutMs?: number;
  /** Retries for idempotent requests on 5xx and connection resets (rate limits have their own bound). */
  retries?: number;
  /**
   * How long idempotent requests may wait out GitLab's rate limit in total (default 3 minutes): each
   * 429 is waited out per its Retry-After; one announcing a longer wait than is left fails at once.
   */
  maxRateLimitWaitMs?: number;
  baseBackoffMs?: number;
}

/** A wait for GitLab's rate limit that is about to start, for whoever shows progress to a person. */
export interface RateLimitWait {
  host: string;
  /** How long this wait lasts. */
  waitMs: number;
  /** When it ends (ISO). */
  until: string;
}

export interface GitLabRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  token?: string;
  body?: unknown;
  signal?: AbortSignal;
  /** Called before each wait for a rate limit (429), so a person waiting sees why and how long. */
  onRateLimit?: (wait: RateLimitWait) => void;
}

export interface RawResponse {
  status: number;
  body: string;
  contentType: string;
  headers: Headers;
}

const MAX_BODY = 10 * 1024 * 1024;
const MAX_RATE_LIMIT_WAIT_MS = 3 * 60_000;

/** A small REST client for one instance: JSON only, zod-validated, retried and diagnosed. */
export class GitLabClient {
  readonly host: string;
  private readonly apiBase: string;
  constructor(private readonly options: GitLabClientOptions) {
    this.host = hostnameOf(options.instanceUrl);
    this.apiBase = `${options.instanceUrl}/api/v4`;
  }

  /** Calls /api/v4{path} and validates the JSON answer; a non-JSON or mis-shaped answer is NOT_GITLAB. */
  async json<S extends z.ZodType>(path: string, schema: S, req: GitLabRequest = {}): Promise<z.infer<S>> {
    return (await this.jsonWithHeaders(path, schema, req)).data;
  }

  /** Like json(), also returning the headers (pagination). */
  async jsonWithHeaders<S extends z.ZodType>(
    path: string,
    schema: S,
    req: GitLabRequest = {},
  ): Promise<{ data: z.infer<S>; headers: Headers }> {
    const { status, body, contentType, headers } = await this.raw(path, req);
    if (status >= 400) throw diagnoseHttpStatus(status, body, this.ctx());
    if (!/json/i.test(contentType)) {
      throw new CospecError(
        'NOT_GITLAB',
        `${this.host} answered, but not like GitLab (got ${contentType || 'no content type'} instead of JSON). Check the address.`,
      );
    }
    let data: unknown;
    try {
      data = JSON.parse(body);
    } catch {
      throw new CospecError('NOT_GITLAB', `${this.host} sent a malformed answer to ${path}. Check the address.`);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new CospecError(
        'NOT_GITLAB',
        `${this.host} answered ${path} in a shape GitLab does not use. Check the address.`,
        parsed.error.message,
      );
    }
    return { data: parsed.data, headers };
  }

  /** Performs a request with retries; returns status and text, throwing only diagnosed network errors. */
  async raw(path: string, req: GitLabRequest = {}): Promise<RawResponse> {
    const method = req.method ?? 'GET';
    const idempotent = method !== 'POST';
    const retries = this.options.retries ?? 3;
    const timeout = this.options.timeoutMs ?? 20_000;
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'coSPEC-Desktop' };
    if (req.token) headers.authorization = `Bearer ${req.token}`;
    let payload: string | undefined;
    if (req.body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(req.body);
    }
    let failures = 0;
    let waitedMs = 0;
    for (;;) {
      try {
        const res = await request(`${this.apiBase}${path}`, {
          method,
          headers,
          body: payload,
          dispatcher: this.options.dispatcher,
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: req.signal,
        } as Parameters<typeof request>[1]);
        const body = await readCapped(res.body);
        const contentType = String(res.headers['content-type'] ?? '');
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        // Rack::Attack answers 429 before the request reaches GitLab, so even a POST is safe to repeat.
        if (res.statusCode === 429) {
          const wait = this.rateLimitWait(out, waitedMs);
          req.onRateLimit?.({ host: this.host, waitMs: wait, until: new Date(Date.now() + wait).toISOString() });
          await sleep(wait, req.signal);
          waitedMs += wait;
          continue;
        }
        if (idempotent && failures < retries && [500, 502, 503, 504].includes(res.statusCode)) {
          await sleep(this.backoff(failures++), req.signal);
          continue;
        }
        return { status: res.statusCode, body, contentType, headers: out };
      } catch (error) {
        if (error instanceof CospecError) throw error;
        if (req.signal?.aborted) throw new CospecError('CANCELLED', 'The request was cancelled.');
        if (idempotent && failures < retries && isTransientNetworkError(error)) {
          await sleep(this.backoff(failures++), req.signal);
          continue;
        }
        throw diagnoseNetworkError(error, this.ctx());
      }
    }
  }

  /**
   * How long to wait out a 429: its Retry-After (seconds or an HTTP date; GitLab sends seconds, up to
   * about a minute), else RateLimit-Reset, else a minute. Past the total bound it fails, saying so.
   */
  private rateLimitWait(headers: Headers, waitedMs: number): number {
    const bound = this.options.maxRateLimitWaitMs ?? MAX_RATE_LIMIT_WAIT_MS;
    const wait = retryAfterMs(headers, Date.now()) ?? 60_000;
    if (waitedMs + wait > bound) {
      const seconds = Math.ceil(wait / 1000);
      throw new CospecError(
        'RATE_LIMITED',
        waitedMs > 0
          ? `${this.host} kept rate-limiting requests: coSPEC waited ${Math.round(waitedMs / 1000)} s and GitLab asks for ${seconds} s more. Try again in a few minutes.`
          : `${this.host} is rate-limiting requests and asks to wait ${seconds} s, longer than coSPEC waits on its own. Try again later.`,
        headers.get('ratelimit-name') ? `throttle: ${headers.get('ratelimit-name')}` : undefined,
      );
    }
    return wait;
  }

  private ctx() {
    return { host: this.host, proxyUrl: this.options.proxyUrl };
  }

  private backoff(attempt: number): number {
    const base = this.options.baseBackoffMs ?? 250;
    return base * 2 ** attempt + Math.floor(Math.random() * base);
  }
}

/** Retry-After as seconds or an HTTP date, else RateLimit-Reset (epoch seconds); undefined when neither is usable. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (value) {
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = Number(headers.get('ratelimit-reset'));
  if (Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - now);
  return undefined;
}

/** A wait that an abort ends early (the caller then reports CANCELLED). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CospecError('CANCELLED', 'The request was cancelled.'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CospecError('CANCELLED', 'The request was cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) {
      body.destroy();
      throw new CospecError('SERVER_ERROR', 'The GitLab answer was unexpectedly large.');
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
