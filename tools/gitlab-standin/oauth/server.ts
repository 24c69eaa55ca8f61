import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http/body';
import type { UserRecord } from '../model';
import { OAUTH_TOKEN_LIFETIME_S, randomToken, type Store } from '../store';
import { redirectAllowed, type OAuthApp } from './app';
import { consentPage, errorPage } from './consent-page';

interface Grant {
  code: string;
  clientId: string;
  userId: number;
  redirectUri: string;
  scopes: string[];
  challenge: string;
  method: 'S256' | 'plain';
  expiresAt: number;
  used: boolean;
}

/** Doorkeeper's error descriptions, as GitLab sends them. */
const DESCRIPTIONS = {
  invalid_client:
    'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
  invalid_grant:
    'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
  unsupported_grant_type: 'The authorization grant type is not supported by the authorization server.',
  invalid_redirect_uri: 'The redirect URI included is not valid.',
  invalid_scope: 'The requested scope is invalid, unknown, or malformed.',
  unsupported_response_type: 'The authorization server does not support this response type.',
  access_denied: 'The resource owner or authorization server denied the request.',
  pkce_required: 'Code challenge is required.',
  pkce_method: 'The code challenge method must be plain or S256.',
} as const;

const CODE_LIFETIME_MS = 10 * 60 * 1000;

/** OAuth 2 authorization code + PKCE like GitLab's: /oauth/authorize, /oauth/token, /oauth/revoke. */
export class OAuthServer {
  private readonly grants = new Map<string, Grant>();
  private readonly csrf = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly apps: OAuthApp[],
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams): Promise<boolean> {
    if (pathname === '/oauth/authorize' && req.method === 'GET') this.authorizePage(res, query);
    else if (pathname === '/oauth/authorize' && req.method === 'POST')
      this.decide(res, new URLSearchParams((await readBody(req)).toString('utf8')));
    else if (pathname === '/oauth/token' && req.method === 'POST') this.token(req, res, await formOf(req));
    else if (pathname === '/oauth/revoke' && req.method === 'POST') this.revoke(req, res, await formOf(req));
    else return false;
    return true;
  }

  /** Validates the request; errors that cannot be redirected (unknown client, bad redirect URI) are shown on a page. */
  private validate(
    params: URLSearchParams,
  ): { app: OAuthApp; redirectUri: string; scopes: string[] } | { page: string } | { redirect: string } {
    const app = this.apps.find((a) => a.clientId === params.get('client_id'));
    if (!app) return { page: DESCRIPTIONS.invalid_client };
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!redirectAllowed(app, redirectUri)) return { page: DESCRIPTIONS.invalid_redirect_uri };
    const state = params.get('state');
    const fail = (error: string, description: string) => ({
      redirect: withParams(redirectUri, { error, error_description: description, state }),
    });
    if (params.get('response_type') !== 'code')
      return fail('unsupported_response_type', DESCRIPTIONS.unsupported_response_type);
    const scopes = (params.get('scope') ?? 'api').split(/[\s+]+/).filter(Boolean);
    if (scopes.some((s) => !app.scopes.includes(s))) return fail('invalid_scope', DESCRIPTIONS.invalid_scope);
    // Public (non-confidential) applications must use PKCE.
    if (!params.get('code_challenge')) return fail('invalid_request', DESCRIPTIONS.pkce_required);
    if (!['S256', 'plain', null].includes(params.get('code_challenge_method')))
      return fail('invalid_request', DESCRIPTIONS.pkce_method);
    return { app, redirectUri, scopes };
  }

  private authorizePage(res: ServerResponse, query: URLSearchParams): void {
    const v = this.validate(query);
    if ('page' in v) return html(res, 400, errorPage('Authorization error', v.page));
    if ('redirect' in v) return redirect(res, v.redirect);
    const token = randomBytes(16).toString('hex');
    this.csrf.add(token);
    const hidden: Record<string, string> = { authenticity_token: token };
    for (const key of [
      'client_id',
      'redirect_uri',
      'response_type',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
      'nonce',
    ]) {
      const value = query.get(key);
      if (value !== null) hidden[key] = value;
    }
    html(res, 200, consentPage(v.app, v.scopes, hidden));
  }

  private decide(res: ServerResponse, form: URLSearchParams): void {
    const csrf = form.get('authenticity_token') ?? '';
    if (!this.csrf.delete(csrf))
      return html(res, 422, errorPage('The change you requested was rejected', 'Invalid authenticity token.'));
    const v = this.validate(form);
    if ('page' in v) return html(res, 400, errorPage('Authorization error', v.page));
    if ('redirect' in v) return redirect(res, v.redirect);
    const state = form.get('state');
    if (form.get('decision') === 'deny') {
      return redirect(
        res,
        withParams(v.redirectUri, { error: 'access_denied', error_description: DESCRIPTIONS.access_denied, state }),
      );
    }
    const user = this.store.userByName(form.get('username') ?? '');
    if (!user || user.password !== form.get('password'))
      return html(res, 401, errorPage('Sign in', 'Invalid login or password.'));
    const code = randomToken(64, 'hex');
    this.grants.set(code, {
      code,
      clientId: v.app.clientId,
      userId: user.id,
      redirectUri: v.redirectUri,
      scopes: v.scopes,
      challenge: form.get('code_challenge') ?? '',
      method: form.get('code_challenge_method') === 'plain' ? 'plain' : 'S256',
      expiresAt: this.store.now().getTime() + CODE_LIFETIME_MS,
      used: false,
    });
    redirect(res, withParams(v.redirectUri, { code, state }));
  }

  /**
   * Doorkeeper's token endpoint, its checks in its order (AuthorizationCodeRequest and
   * RefreshTokenRequest validate params, client, grant, redirect URI, PKCE verifier).
   */
  private token(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): void {
    const clientId = form.get('client_id') ?? basicClientId(req.headers.authorization);
    const app = this.apps.find((a) => a.clientId === clientId);
    const grantType = form.get('grant_type');
    if (!grantType) return oauthError(res, 'invalid_request', 'Missing required parameter: grant_type.');
    if (grantType === 'authorization_code') {
      const grant = this.grants.get(form.get('code') ?? '');
      if (grant?.challenge && !form.get('code_verifier'))
        return oauthError(res, 'invalid_request', 'Missing required parameter: code_verifier.');
      if (!form.get('redirect_uri'))
        return oauthError(res, 'invalid_request', 'Missing required parameter: redirect_uri.');
      if (!app) return oauthError(res, 'invalid_client');
      if (!grant || grant.used || grant.clientId !== app.clientId || grant.expiresAt < this.store.now().getTime())
        return oauthError(res, 'invalid_grant');
      if (grant.redirectUri !== form.get('redirect_uri')) return oauthError(res, 'invalid_grant');
      if (!pkceMatches(grant, form.get('code_verifier'))) return oauthError(res, 'invalid_grant');
      grant.used = true; // single use, even if anything below fails
      const user = this.store.userById(grant.userId) as UserRecord;
      return tokenResponse(res, this.store.issueOAuth(user, grant.scopes, app.clientId));
    }
    if (grantType === 'refresh_token') {
      const refresh = form.get('refresh_token');
      if (!refresh) return oauthError(res, 'invalid_request', 'Missing required parameter: refresh_token.');
      const old = this.store.tokens.find((t) => t.kind === 'oauth' && t.refresh_token === refresh);
      if (!old || old.refresh_revoked) return oauthError(res, 'invalid_grant');
      if (clientId && !app) return oauthError(res, 'invalid_client');
      if (old.application_id !== app?.clientId) return oauthError(res, 'invalid_grant');
      // Rotation: the old pair is revoked, a new access and refresh token are issued.
      old.refresh_revoked = true;
      old.revoked = true;
      const user = this.store.userById(old.user_id) as UserRecord;
      return tokenResponse(res, this.store.issueOAuth(user, old.scopes, old.application_id ?? ''));
    }
    return oauthError(res, 'unsupported_grant_type');
  }

  /**
   * RFC 7009 as GitLab's Oauth::TokensController does it: no known client → 403 unauthorized_client
   * (plain JSON, no challenge header); no or an unknown token → 200; a token of another client →
   * 403; else both tokens of the pair end.
   */
  private revoke(req: IncomingMessage, res: ServerResponse, form: URLSearchParams): void {
    const clientId = form.get('client_id') ?? basicClientId(req.headers.authorization);
    const app = this.apps.find((a) => a.clientId === clientId);
    const refused = { error: 'unauthorized_client', error_description: 'You are not authorized to revoke this token' };
    if (!app) return json(res, 403, refused);
    const token = form.get('token') ?? '';
    const record = token
      ? this.store.tokens.find((t) => t.kind === 'oauth' && (t.token === token || t.refresh_token === token))
      : undefined;
    if (record && record.application_id !== app.clientId) return json(res, 403, refused);
    if (record) {
      record.revoked = true;
      record.refresh_revoked = true;
    }
    json(res, 200, {});
  }
}

function pkceMatches(grant: Grant, verifier: string | null): boolean {
  if (!verifier || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  const expected = grant.method === 'plain' ? verifier : createHash('sha256').update(verifier).digest('base64url');
  const a = Buffer.from(expected);
  const b = Buffer.from(grant.challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

function tokenResponse(
  res: ServerResponse,
  t: { token: string; refresh_token?: string; scopes: string[]; created_at: string },
): void {
  json(res, 200, {
    access_token: t.token,
    token_type: 'Bearer',
    expires_in: OAUTH_TOKEN_LIFETIME_S,
    refresh_token: t.refresh_token,
    scope: t.scopes.join(' '),
    created_at: Math.floor(Date.parse(t.created_at) / 1000),
  });
}

/**
 * Doorkeeper's ErrorResponse: 401 for invalid_client, 400 otherwise, the JSON body and the same
 * error as a Bearer challenge in WWW-Authenticate (realm "Doorkeeper": GitLab keeps the default).
 */
function oauthError(
  res: ServerResponse,
  error: keyof typeof DESCRIPTIONS | 'invalid_request',
  description?: string,
): void {
  const text = description ?? DESCRIPTIONS[error as keyof typeof DESCRIPTIONS];
  res.writeHead(error === 'invalid_client' ? 401 : 400, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'www-authenticate': `Bearer realm="Doorkeeper", error="${challengeSafe(error)}", error_description="${challengeSafe(text)}"`,
  });
  res.end(JSON.stringify({ error, error_description: text }));
}

/** Doorkeeper replaces characters RFC 6750 forbids in error values (outside %x20-21 / %x23-5B / %x5D-7E) by "_". */
function challengeSafe(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '_');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
  });
  res.end(JSON.stringify(body));
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-type': 'text/html; charset=utf-8' });
  res.end(`<html><body>You are being <a href="${location.replace(/"/g, '&quot;')}">redirected</a>.</body></html>`);
}

function withParams(uri: string, params: Record<string, string | null>): string {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v);
  return url.toString();
}

async function formOf(req: IncomingMessage): Promise<URLSearchParams> {
  const raw = (await readBody(req)).toString('utf8');
  if (/json/i.test(String(req.headers['content-type'] ?? ''))) {
    const parsed = JSON.parse(raw || '{}') as Record<string, unknown>;
    return new URLSearchParams(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
  }
  return new URLSearchParams(raw);
}

function basicClientId(header: string | undefined): string | null {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  return decodeURIComponent(decoded.split(':')[0] ?? '');
}
