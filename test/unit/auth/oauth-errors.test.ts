import { describe, expect, it } from 'vitest';
import { oauthEndpointError, oauthErrorOf, type OAuthErrorAnswer } from '../../../src-main/services/auth/oauth-errors';

/** GitLab's (Doorkeeper's) token endpoint refusals, as they arrive: JSON body plus a Bearer challenge. */
const doorkeeper = (error: string, description: string, status = 400): OAuthErrorAnswer => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify({ error, error_description: description }),
  wwwAuthenticate: `Bearer realm="Doorkeeper", error="${error}", error_description="${description}"`,
  retryAfter: null,
});
const INVALID_GRANT =
  'The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.';

describe('oauthEndpointError', () => {
  it('a refused refresh says to sign in again and keeps GitLab’s words as the detail', () => {
    const e = oauthEndpointError('refresh', 'gitlab.example.org', doorkeeper('invalid_grant', INVALID_GRANT));
    expect(e.code).toBe('OAUTH_INVALID_GRANT');
    expect(e.message).toMatch(/no longer accepts .*Sign in again/);
    expect(e.detail).toBe(`invalid_grant: ${INVALID_GRANT}`);
  });

  it('a reused or foreign code (PKCE mismatch included) says to start connecting again', () => {
    const e = oauthEndpointError('exchange', 'h', doorkeeper('invalid_grant', INVALID_GRANT));
    expect(e).toMatchObject({ code: 'OAUTH_INVALID_GRANT', message: expect.stringMatching(/already used/) });
    const missing = oauthEndpointError(
      'exchange',
      'h',
      doorkeeper('invalid_request', 'Missing required parameter: code_verifier.'),
    );
    expect(missing.code).toBe('OAUTH_INVALID_GRANT');
    expect(missing.detail).toContain('code_verifier');
  });

  it('an unknown client, a refused grant type or scope point at the OAuth application', () => {
    for (const [error, status] of [
      ['invalid_client', 401],
      ['unauthorized_client', 401],
      ['unsupported_grant_type', 400],
      ['invalid_scope', 400],
    ] as const) {
      expect(oauthEndpointError('exchange', 'h', doorkeeper(error, 'x', status)).code).toBe('OAUTH_NOT_CONFIGURED');
    }
  });

  it('the revoke endpoint’s 403 unauthorized_client (plain JSON, no challenge) is understood', () => {
    const e = oauthEndpointError('revoke', 'h', {
      status: 403,
      contentType: 'application/json; charset=utf-8',
      body: '{"error":"unauthorized_client","error_description":"You are not authorized to revoke this token"}',
      wwwAuthenticate: null,
      retryAfter: null,
    });
    expect(e.code).toBe('OAUTH_NOT_CONFIGURED');
    expect(e.message).toMatch(/refused to revoke/);
  });

  it('GitLab’s 429 (text/plain "Retry later") is a rate limit with the wait, 5xx a server error', () => {
    const limited = oauthEndpointError('refresh', 'h', {
      status: 429,
      contentType: 'text/plain',
      body: 'Retry later\n',
      wwwAuthenticate: null,
      retryAfter: '42',
    });
    expect(limited).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('42 s') });
    const down = oauthEndpointError('refresh', 'h', {
      status: 502,
      contentType: 'text/html',
      body: '<html>',
      wwwAuthenticate: null,
      retryAfter: null,
    });
    expect(down.code).toBe('SERVER_ERROR');
  });

  it('a 4xx that is neither OAuth JSON nor a challenge is not GitLab', () => {
    const e = oauthEndpointError('exchange', 'h', {
      status: 400,
      contentType: 'text/html',
      body: '<h1>Bad</h1>',
      wwwAuthenticate: null,
      retryAfter: null,
    });
    expect(e.code).toBe('NOT_GITLAB');
  });
});

describe('oauthErrorOf', () => {
  it('falls back to the challenge header when the body is not JSON', () => {
    expect(
      oauthErrorOf({
        status: 400,
        contentType: 'text/plain',
        body: 'nope',
        wwwAuthenticate: 'Bearer realm="Doorkeeper", error="invalid_grant", error_description="gone"',
        retryAfter: null,
      }),
    ).toEqual({ error: 'invalid_grant', description: 'gone' });
  });
});
