import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';

/** OAuth 2 authorization code + PKCE, error cases in OAuth's JSON form, refresh rotation, revocation. */

let gitlab: StandIn;

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
});
afterAll(async () => {
  await gitlab?.close();
});

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(overrides: Record<string, string | null> = {}, challenge = pkce().challenge) {
  const url = new URL(`${gitlab.url}/oauth/authorize`);
  const params: Record<string, string | null> = {
    client_id: gitlab.oauthApp.clientId,
    redirect_uri: 'cospec://oauth/callback',
    response_type: 'code',
    scope: 'api read_user',
    state: 'state-123',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...overrides,
  };
  for (const [k, v] of Object.entries(params)) if (v !== null) url.searchParams.set(k, v);
  return url.toString();
}

const token = (form: Record<string, string>) =>
  fetch(`${gitlab.url}/oauth/token`, { method: 'POST', body: new URLSearchParams(form) });

async function codeFor(username: string, redirectUri = 'cospec://oauth/callback') {
  const { verifier, challenge } = pkce();
  const location = await gitlab.approveAuthorization(authorizeUrl({ redirect_uri: redirectUri }, challenge), username);
  const url = new URL(location);
  return { code: url.searchParams.get('code')!, state: url.searchParams.get('state'), verifier, redirectUri, location };
}

async function exchange(username: string) {
  const c = await codeFor(username);
  const res = await token({
    grant_type: 'authorization_code',
    client_id: gitlab.oauthApp.clientId,
    code: c.code,
    redirect_uri: c.redirectUri,
    code_verifier: c.verifier,
  });
  return (await res.json()) as {
    access_token: string;
    refresh_token: string;
    expires_in: number;
    scope: string;
    token_type: string;
    created_at: number;
  };
}

const userStatus = async (accessToken: string) =>
  (await fetch(`${gitlab.url}/api/v4/user`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

describe('the consent page', () => {
  it('shows GitLab\'s "Authorize … to use your account?" with the scopes and both buttons', async () => {
    const res = await fetch(authorizeUrl());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('Authorize coSPEC Desktop to use your account?');
    expect(html).toMatch(/<strong>api<\/strong>[\s\S]*<strong>read_user<\/strong>/);
    expect(html).toMatch(/value="authorize"[\s\S]*value="deny"/);
  });

  it('an unknown client or an unregistered redirect URI gets an error page, never a redirect', async () => {
    const bad: Array<Record<string, string>> = [
      { client_id: 'nope' },
      { redirect_uri: 'https://evil.example/callback' },
      { redirect_uri: 'cospec://oauth/callback/extra' },
      { redirect_uri: 'http://localhost:4000/callback' },
    ];
    for (const overrides of bad) {
      const res = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('An error has occurred');
    }
  });

  it('redirects other request errors to the client with error and state', async () => {
    const cases: Array<[Record<string, string | null>, string]> = [
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ scope: 'sudo' }, 'invalid_scope'],
      [{ code_challenge: null }, 'invalid_request'],
      [{ code_challenge_method: 'S512' }, 'invalid_request'],
    ];
    for (const [overrides, error] of cases) {
      const res = await fetch(authorizeUrl(overrides), { redirect: 'manual' });
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(`${location.protocol}//${location.host}${location.pathname}`).toBe('cospec://oauth/callback');
      expect(location.searchParams.get('error')).toBe(error);
      expect(location.searchParams.get('state')).toBe('state-123');
    }
  });

  it('a user who denies is sent back with access_denied', async () => {
    const location = new URL(await gitlab.approveAuthorization(authorizeUrl(), 'alice', { deny: true }));
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe('state-123');
    expect(location.searchParams.get('code')).toBeNull();
  });

  it('accepts the loopback redirect on any port (RFC 8252), with path and host exact', async () => {
    const c = await codeFor('maya', 'http://127.0.0.1:54321/callback');
    expect(c.location.startsWith('http://127.0.0.1:54321/callback?code=')).toBe(true);
    expect(c.state).toBe('state-123');
    const wrongPath = await fetch(authorizeUrl({ redirect_uri: 'http://127.0.0.1:54321/other' }), {
      redirect: 'manual',
    });
    expect(wrongPath.status).toBe(400);
  });
});

describe('the token endpoint', () => {
  it('exchanges a code with the PKCE verifier for a 2-hour Bearer token and a refresh token', async () => {
    const t = await exchange('alice');
    expect(t).toMatchObject({ token_type: 'Bearer', expires_in: 7200, scope: 'api read_user' });
    expect(t.refresh_token).toMatch(/^[0-9a-f]{64}$/);
    expect(Math.abs(t.created_at - Date.now() / 1000)).toBeLessThan(3600);
    const me = await fetch(`${gitlab.url}/api/v4/user`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect((await me.json()).username).toBe('alice');
  });

  it('codes are single use', async () => {
    const c = await codeFor('alice');
    const form = {
      grant_type: 'authorization_code',
      client_id: gitlab.oauthApp.clientId,
      code: c.code,
      redirect_uri: c.redirectUri,
      code_verifier: c.verifier,
    };
    expect((await token(form)).status).toBe(200);
    const again = await token(form);
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({
      error: 'invalid_grant',
      error_description:
        'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.',
    });
  });

  it.each([
    [
      'a wrong verifier',
      (c: Awaited<ReturnType<typeof codeFor>>) => ({ code_verifier: pkce().verifier, redirect_uri: c.redirectUri }),
    ],
    [
      'another redirect URI',
      (c: Awaited<ReturnType<typeof codeFor>>) => ({
        code_verifier: c.verifier,
        redirect_uri: 'http://127.0.0.1/callback',
      }),
    ],
  ])('refuses %s with invalid_grant', async (_name, extra) => {
    const c = await codeFor('maya');
    const res = await token({
      grant_type: 'authorization_code',
      client_id: gitlab.oauthApp.clientId,
      code: c.code,
      ...extra(c),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_grant');
  });

  it('a code issued with PKCE but exchanged without a verifier is an invalid_request naming it', async () => {
    const c = await codeFor('maya');
    const res = await token({
      grant_type: 'authorization_code',
      client_id: gitlab.oauthApp.clientId,
      code: c.code,
      redirect_uri: c.redirectUri,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Missing required parameter: code_verifier.',
    });
  });

  it("every token endpoint error carries Doorkeeper's Bearer challenge, as GitLab sends it", async () => {
    const c = await codeFor('maya');
    const reused = await token({
      grant_type: 'authorization_code',
      client_id: gitlab.oauthApp.clientId,
      code: 'no-such-code',
      redirect_uri: c.redirectUri,
      code_verifier: c.verifier,
    });
    expect(reused.status).toBe(400);
    expect(reused.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(reused.headers.get('cache-control')).toBe('no-store');
    expect(reused.headers.get('www-authenticate')).toBe(
      'Bearer realm="Doorkeeper", error="invalid_grant", error_description="The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."',
    );
    const client = await token({ grant_type: 'refresh_token', client_id: 'nope', refresh_token: 'nope' });
    expect(client.status).toBe(400); // an unknown refresh token is checked before the client
    const unknownClient = await token({
      grant_type: 'authorization_code',
      client_id: 'nope',
      code: c.code,
      redirect_uri: c.redirectUri,
      code_verifier: c.verifier,
    });
    expect(unknownClient.status).toBe(401);
    expect(unknownClient.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="Doorkeeper", error="invalid_client", /,
    );
    const grantType = await token({ grant_type: 'password', client_id: gitlab.oauthApp.clientId });
    expect(grantType.headers.get('www-authenticate')).toMatch(/error="unsupported_grant_type"/);
    const noGrant = await token({ client_id: gitlab.oauthApp.clientId });
    expect(noGrant.headers.get('www-authenticate')).toBe(
      'Bearer realm="Doorkeeper", error="invalid_request", error_description="Missing required parameter: grant_type."',
    );
  });

  it('refuses an unknown client (401 invalid_client), a missing code and an unknown grant type', async () => {
    const c = await codeFor('maya');
    const unknown = await token({
      grant_type: 'authorization_code',
      client_id: 'nope',
      code: c.code,
      redirect_uri: c.redirectUri,
      code_verifier: c.verifier,
    });
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).error).toBe('invalid_client');
    const missing = await token({ grant_type: 'authorization_code', client_id: gitlab.oauthApp.clientId });
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
    const grant = await token({ grant_type: 'password', client_id: gitlab.oauthApp.clientId });
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('refresh rotates: a new pair, the old refresh token and access token stop working', async () => {
    const first = await exchange('rita');
    const res = await token({
      grant_type: 'refresh_token',
      client_id: gitlab.oauthApp.clientId,
      refresh_token: first.refresh_token,
    });
    const second = (await res.json()) as typeof first;
    expect(second.expires_in).toBe(7200);
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(await userStatus(second.access_token)).toBe(200);
    expect(await userStatus(first.access_token)).toBe(401);
    const reuse = await token({
      grant_type: 'refresh_token',
      client_id: gitlab.oauthApp.clientId,
      refresh_token: first.refresh_token,
    });
    expect(reuse.status).toBe(400);
    expect((await reuse.json()).error).toBe('invalid_grant');
  });

  it('an expired access token gets the "Token is expired" 401 and can be refreshed', async () => {
    const t = await exchange('gus');
    gitlab.expireToken(t.access_token);
    const res = await fetch(`${gitlab.url}/api/v4/user`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(res.status).toBe(401);
    expect((await res.json()).error_description).toMatch(/Token is expired/);
    // lib/api/api_guard.rb answers through rack-oauth2, whose challenge has its default realm.
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="Token is expired. You can either do re-authorization or token refresh."',
    );
    const refreshed = await token({
      grant_type: 'refresh_token',
      client_id: gitlab.oauthApp.clientId,
      refresh_token: t.refresh_token,
    });
    expect(await userStatus(((await refreshed.json()) as typeof t).access_token)).toBe(200);
  });
});

describe('POST /oauth/revoke', () => {
  it('revoking the access token ends the pair; unknown tokens still get 200 (RFC 7009)', async () => {
    const t = await exchange('alice');
    const res = await fetch(`${gitlab.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({
        token: t.access_token,
        token_type_hint: 'access_token',
        client_id: gitlab.oauthApp.clientId,
      }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    const after = await fetch(`${gitlab.url}/api/v4/user`, { headers: { authorization: `Bearer ${t.access_token}` } });
    expect(await after.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Token was revoked. You have to re-authorize from the user.',
    });
    const refresh = await token({
      grant_type: 'refresh_token',
      client_id: gitlab.oauthApp.clientId,
      refresh_token: t.refresh_token,
    });
    expect(refresh.status).toBe(400);
    const unknown = await fetch(`${gitlab.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'nope', client_id: gitlab.oauthApp.clientId }),
    });
    expect(unknown.status).toBe(200);
  });

  it('refuses a request without a known client (403 unauthorized_client) and a token of another client', async () => {
    const t = await exchange('rita');
    const noClient = await fetch(`${gitlab.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: t.access_token }),
    });
    expect(noClient.status).toBe(403);
    expect(noClient.headers.get('www-authenticate')).toBeNull();
    expect(await noClient.json()).toEqual({
      error: 'unauthorized_client',
      error_description: 'You are not authorized to revoke this token',
    });
    expect(await userStatus(t.access_token)).toBe(200);
    const noToken = await fetch(`${gitlab.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ client_id: gitlab.oauthApp.clientId }),
    });
    expect(noToken.status).toBe(200);
  });

  it('revoking the refresh token also ends the access token', async () => {
    const t = await exchange('maya');
    await fetch(`${gitlab.url}/oauth/revoke`, {
      method: 'POST',
      body: new URLSearchParams({
        token: t.refresh_token,
        token_type_hint: 'refresh_token',
        client_id: gitlab.oauthApp.clientId,
      }),
    });
    expect(await userStatus(t.access_token)).toBe(401);
  });
});
