import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../store';
import type { Principal } from '../auth';

/** One API request as the handlers see it. */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Decoded path segments after the route prefix matched. */
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  store: Store;
  /** The instance URL, e.g. http://127.0.0.1:1234 (for web_url fields). */
  baseUrl: string;
  principal: Principal | undefined;
}

/** What a handler returns: a JSON body and optional status and headers. */
export interface Reply {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** An error answer in GitLab's JSON shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${JSON.stringify(body)}`);
  }
}

/** GitLab's Grape error bodies, exactly as the API sends them. */
export const errors = {
  unauthorized: () => new ApiError(401, { message: '401 Unauthorized' }),
  forbidden: () => new ApiError(403, { message: '403 Forbidden' }),
  notFound: (what = '') => new ApiError(404, { message: `404 ${what ? `${what} ` : ''}Not Found` }),
  routeNotFound: () => new ApiError(404, { error: '404 Not Found' }),
  missing: (names: string[]) => new ApiError(400, { error: names.map((n) => `${n} is missing`).join(', ') }),
  badRequest: (message: unknown) => new ApiError(400, { message }),
  conflict: (message: unknown) => new ApiError(409, { message }),
  methodNotAllowed: () => new ApiError(405, { message: '405 Method Not Allowed' }),
};

export type Handler = (ctx: Ctx) => Promise<Reply> | Reply;

export interface Route {
  method: string;
  /** e.g. /projects/:id/merge_requests/:iid — each :name is one (URL-decoded) segment. */
  pattern: string;
  handler: Handler;
}
