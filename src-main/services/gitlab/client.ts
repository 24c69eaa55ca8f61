import { setTimeout as sleep } from 'node:timers/promises';
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
  /** Retries for idempotent requests on 429, 5xx and connection resets. */
  retries?: number;
  /** Longest Retry-After honoured; a longer one fails with RATE_LIMITED at once. */
  maxRetryAfterMs?: number;
  baseBackoffMs?: number;
}

export interface GitLabRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  token?: string;
  body?: unknown;
  signal?: AbortSignal;
}

export interface RawResponse {
  status: number;
  body: string;
  contentType: string;
  headers: Headers;
}

const MAX_BODY = 10 * 1024 * 1024;

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
    for (let attempt = 0; ; attempt++) {
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
        const wait = this.retryDelay(res.statusCode, res.headers['retry-after'], attempt);
        if (idempotent && attempt < retries && wait !== undefined) {
          await sleep(wait);
          continue;
        }
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) out.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        return { status: res.statusCode, body, contentType, headers: out };
      } catch (error) {
        if (error instanceof CospecError) throw error;
        if (req.signal?.aborted) throw new CospecError('CANCELLED', 'The request was cancelled.');
        if (idempotent && attempt < retries && isTransientNetworkError(error)) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw diagnoseNetworkError(error, this.ctx());
      }
    }
  }

  private ctx() {
    return { host: this.host, proxyUrl: this.options.proxyUrl };
  }

  private backoff(attempt: number): number {
    const base = this.options.baseBackoffMs ?? 250;
    return base * 2 ** attempt + Math.floor(Math.random() * base);
  }

  private retryDelay(status: number, retryAfter: string | string[] | undefined, attempt: number): number | undefined {
    if (status === 429) {
      const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
      const ms = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : this.backoff(attempt);
      return ms <= (this.options.maxRetryAfterMs ?? 30_000) ? ms : undefined;
    }
    if (status === 502 || status === 503 || status === 504 || status === 500) return this.backoff(attempt);
    return undefined;
  }
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
