import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A failure to inject on matching requests. Combine `latencyMs` with nothing else to slow a
 * request down and then serve it normally.
 */
export interface Fault {
  match?: {
    /** Exact pathname (e.g. /api/v4/user), a prefix ending in * (/api/v4/projects*), or a RegExp. */
    path?: string | RegExp;
    method?: string;
  };
  /** Answer with this status instead (GitLab-shaped body unless `body` is given). */
  status?: number;
  body?: unknown;
  /**
   * With 429 (or 503): the Retry-After header, in seconds. A 429 without it gets 60, the period of
   * GitLab's default throttles, which is what Rack::Attack announces at the start of a period.
   */
  retryAfterSeconds?: number;
  latencyMs?: number;
  /** 'before-response': drop the connection at once; 'mid-response': send headers and part of a body, then drop it. */
  reset?: 'before-response' | 'mid-response';
  /** How many matching requests it affects; forever when omitted. */
  times?: number;
}

const STATUS_BODIES: Record<number, unknown> = {
  401: { message: '401 Unauthorized' },
  403: { message: '403 Forbidden' },
  404: { message: '404 Not Found' },
  500: { message: '500 Internal Server Error' },
  502: { message: '502 Bad Gateway' },
  503: { message: '503 Service Unavailable' },
};

export class Faults {
  private faults: Array<Fault & { left: number }> = [];
  /** Requests each fault hit, for tests that assert a retry happened. */
  readonly hits: Array<{ method: string; path: string; fault: Fault }> = [];

  add(fault: Fault): () => void {
    const entry = { ...fault, left: fault.times ?? Number.POSITIVE_INFINITY };
    this.faults.push(entry);
    return () => {
      this.faults = this.faults.filter((f) => f !== entry);
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** Applies a matching fault; true when the request has been answered (or dropped) by it. */
  async apply(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<boolean> {
    const method = req.method ?? 'GET';
    const fault = this.faults.find((f) => f.left > 0 && matches(f, method, pathname));
    if (!fault) return false;
    fault.left -= 1;
    this.hits.push({ method, path: pathname, fault });
    if (fault.latencyMs) await sleep(fault.latencyMs);
    if (fault.reset === 'before-response') {
      req.socket.destroy();
      return true;
    }
    if (fault.reset === 'mid-response') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
      res.write('[{"id":1,"name":"partial');
      // Let the partial body reach the client before the connection drops.
      await new Promise((r) => setTimeout(r, 20));
      req.socket.destroy();
      return true;
    }
    if (fault.status === undefined) return false;
    if (fault.status === 429 && fault.body === undefined) {
      throttled(res, fault.retryAfterSeconds ?? 60);
      return true;
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    res.writeHead(fault.status, headers);
    res.end(JSON.stringify(fault.body ?? STATUS_BODIES[fault.status] ?? { message: `${fault.status}` }));
    return true;
  }
}

/**
 * GitLab's Rack::Attack answer (lib/gitlab/rack_attack.rb, Gitlab::Throttle): text/plain "Retry later"
 * (the default rate_limiting_response_text) with Retry-After and the RateLimit-* headers, for the
 * API, git over HTTP, OAuth and web pages alike.
 */
function throttled(res: ServerResponse, retryAfter: number): void {
  const reset = Math.floor(Date.now() / 1000) + retryAfter;
  res.writeHead(429, {
    'content-type': 'text/plain',
    'retry-after': String(retryAfter),
    'ratelimit-name': 'throttle_authenticated_api',
    'ratelimit-limit': '2000',
    'ratelimit-observed': '2001',
    'ratelimit-remaining': '0',
    'ratelimit-reset': String(reset),
    'ratelimit-resettime': new Date(reset * 1000).toUTCString(),
  });
  res.end('Retry later\n');
}

function matches(f: Fault, method: string, pathname: string): boolean {
  if (f.match?.method && f.match.method.toUpperCase() !== method) return false;
  const p = f.match?.path;
  if (p === undefined) return true;
  if (p instanceof RegExp) return p.test(pathname);
  return p.endsWith('*') ? pathname.startsWith(p.slice(0, -1)) : pathname === p;
}
