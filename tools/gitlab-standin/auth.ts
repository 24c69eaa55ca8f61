import type { IncomingMessage } from 'node:http';
import { ApiError } from './http/types';
import type { TokenRecord, UserRecord } from './model';
import type { Store } from './store';

/** Who is calling, and with which token (none for password auth on git). */
export interface Principal {
  user: UserRecord;
  token?: TokenRecord;
}

/** GitLab's (Doorkeeper's) 401 bodies for tokens that exist but no longer work. */
export const INVALID_TOKEN = {
  expired: {
    error: 'invalid_token',
    error_description: 'Token is expired. You can either do re-authorization or token refresh.',
  },
  revoked: { error: 'invalid_token', error_description: 'Token was revoked. You have to re-authorize from the user.' },
};

/**
 * GitLab's API answers a dead token through rack-oauth2's Bearer::Unauthorized (lib/api/api_guard.rb):
 * the body and a challenge whose realm is rack-oauth2's default, since GitLab sets none there.
 */
function invalidToken(body: { error: string; error_description: string }): ApiError {
  return new ApiError(401, body, {
    'www-authenticate': `Bearer realm="Protected by OAuth 2.0", error="${body.error}", error_description="${body.error_description}"`,
  });
}

/** The token a REST request carries, in the places GitLab looks for one. */
export function apiTokenOf(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const bearer = /^Bearer\s+(.+)$/i.exec(header('authorization') ?? '')?.[1];
  return query.get('private_token') ?? header('private-token') ?? query.get('access_token') ?? bearer ?? undefined;
}

/** Resolves a token to its user; throws GitLab's 401 for an unknown, expired or revoked token. */
export function principalForToken(store: Store, token: string): Principal {
  const record = store.findToken(token);
  const user = record && store.userById(record.user_id);
  if (!record || !user) throw new ApiError(401, { message: '401 Unauthorized' });
  if (record.revoked) throw invalidToken(INVALID_TOKEN.revoked);
  if (store.isExpired(record)) throw invalidToken(INVALID_TOKEN.expired);
  record.last_used_at = store.nowIso();
  return { user, token: record };
}

export function authenticateApi(store: Store, req: IncomingMessage, query: URLSearchParams): Principal | undefined {
  const token = apiTokenOf(req, query);
  return token === undefined ? undefined : principalForToken(store, token);
}

/**
 * What a token's scopes allow. `read` is the REST API read side (api or read_api), `write` needs api,
 * `user` is the endpoints read_user opens (/user, /version, own token).
 */
export type Need = 'read' | 'write' | 'user';
const ALLOWED: Record<Need, string[]> = {
  read: ['api', 'read_api'],
  write: ['api'],
  user: ['api', 'read_api', 'read_user'],
};

export function requireAuth(principal: Principal | undefined, need: Need): Principal {
  if (!principal) throw new ApiError(401, { message: '401 Unauthorized' });
  requireScope(principal, need);
  return principal;
}

export function requireScope(principal: Principal | undefined, need: Need): void {
  const scopes = principal?.token?.scopes;
  if (!scopes) return; // anonymous (handled by the caller) or password auth
  if (!ALLOWED[need].some((s) => scopes.includes(s))) {
    throw new ApiError(403, {
      error: 'insufficient_scope',
      error_description: 'The request requires higher privileges than provided by the access token.',
      scope: ALLOWED[need].join(' '),
    });
  }
}

/** Git over HTTP: Basic `oauth2:<token>`, `<user>:<PAT or OAuth token>` or `<user>:<password>`. */
export function principalForBasic(store: Store, header: string | undefined): Principal | 'invalid' | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return 'invalid';
  const username = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  const record = store.findToken(secret);
  if (record) {
    const user = store.userById(record.user_id);
    if (!user || record.revoked || store.isExpired(record)) return 'invalid';
    if (username !== 'oauth2' && username.toLowerCase() !== user.username.toLowerCase()) return 'invalid';
    record.last_used_at = store.nowIso();
    return { user, token: record };
  }
  const user = store.userByName(username);
  if (user && user.password === secret) return { user };
  return 'invalid';
}

/** Git needs read_repository/write_repository (or api) when a token is used. */
export function tokenAllowsGit(principal: Principal, write: boolean): boolean {
  const scopes = principal.token?.scopes;
  if (!scopes) return true;
  return write
    ? scopes.includes('api') || scopes.includes('write_repository')
    : scopes.some((s) => ['api', 'read_api', 'read_repository', 'write_repository'].includes(s));
}
