import { describe, expect, it } from 'vitest';
import { diagnoseHttpStatus, diagnoseNetworkError } from '../../../src-main/services/gitlab/diagnose';
import { matchesNoProxy, parsePacResult } from '../../../src-main/services/gitlab/proxy';
import { checkGitLabVersion } from '../../../src-main/services/gitlab/version';

const ctx = { host: 'gitlab.company.com' };
/** What undici's fetch throws: a TypeError whose cause carries the system error code. */
const fetchFailure = (code: string) =>
  Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });

describe('network error diagnostics', () => {
  it.each([
    ['ENOTFOUND', 'DNS_FAILURE'],
    ['EAI_AGAIN', 'DNS_FAILURE'],
    ['ECONNREFUSED', 'CONNECTION_REFUSED'],
    ['UND_ERR_CONNECT_TIMEOUT', 'CONNECTION_TIMEOUT'],
    ['UND_ERR_HEADERS_TIMEOUT', 'CONNECTION_TIMEOUT'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'TLS_UNKNOWN_CA'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'TLS_UNKNOWN_CA'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'TLS_UNKNOWN_CA'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'TLS_HOSTNAME_MISMATCH'],
    ['CERT_HAS_EXPIRED', 'TLS_CERT_EXPIRED'],
    ['ECONNRESET', 'CONNECTION_RESET'],
  ])("maps %s (wrapped in fetch's cause) to %s", (sysCode, expected) => {
    expect(diagnoseNetworkError(fetchFailure(sysCode), ctx).code).toBe(expected);
  });

  it('tells a VPN user what to check when the name does not resolve', () => {
    expect(diagnoseNetworkError(fetchFailure('ENOTFOUND'), ctx).message).toMatch(
      /Can't resolve gitlab\.company\.com — are you connected to the VPN\?/,
    );
  });

  it('offers the CA PEM or the system store for an unknown CA', () => {
    expect(diagnoseNetworkError(fetchFailure('SELF_SIGNED_CERT_IN_CHAIN'), ctx).message).toMatch(
      /CA certificate \(PEM\).*system certificate store/,
    );
  });

  it('blames the proxy, without its credentials, when a proxy is in use', () => {
    const tunnel = new Error('Proxy response (403) !== 200 when HTTP Tunneling');
    const error = diagnoseNetworkError(tunnel, { ...ctx, proxyUrl: 'http://bob:s3cret@proxy.corp:3128' });
    expect(error.code).toBe('PROXY_ERROR');
    expect(error.message).toContain('http://proxy.corp:3128');
    expect(JSON.stringify(error.toEnvelope())).not.toContain('s3cret');
    expect(
      diagnoseNetworkError(fetchFailure('ECONNREFUSED'), { ...ctx, proxyUrl: 'http://proxy.corp:3128' }).code,
    ).toBe('PROXY_ERROR');
  });
});

describe('GitLab answer diagnostics', () => {
  it('reads GitLab 401 bodies to tell expired from revoked from wrong', () => {
    const body = (d: string) => JSON.stringify({ error: 'invalid_token', error_description: d });
    expect(diagnoseHttpStatus(401, body('Token was revoked. You have to re-authorize from the user.'), ctx).code).toBe(
      'TOKEN_REVOKED',
    );
    expect(
      diagnoseHttpStatus(401, body('Token is expired. You can either do re-authorization or token refresh.'), ctx).code,
    ).toBe('TOKEN_EXPIRED');
    expect(diagnoseHttpStatus(401, JSON.stringify({ message: '401 Unauthorized' }), ctx).code).toBe('UNAUTHORIZED');
  });

  it('maps 403 insufficient_scope to MISSING_SCOPE naming the scopes to pick', () => {
    const body = JSON.stringify({
      error: 'insufficient_scope',
      error_description: 'The request requires higher privileges than provided by the access token.',
      scope: 'api read_api',
    });
    const error = diagnoseHttpStatus(403, body, ctx);
    expect(error.code).toBe('MISSING_SCOPE');
    expect(error.message).toMatch(/"api" and "read_user"/);
    expect(diagnoseHttpStatus(403, '{"message":"403 Forbidden"}', ctx).code).toBe('FORBIDDEN');
  });

  it('maps 404, 429 and 5xx', () => {
    expect(diagnoseHttpStatus(404, '<html>', ctx).code).toBe('NOT_GITLAB');
    expect(diagnoseHttpStatus(429, '', ctx).code).toBe('RATE_LIMITED');
    expect(diagnoseHttpStatus(503, '', ctx).code).toBe('SERVER_ERROR');
  });

  it('refuses GitLab older than 15.5 (no /personal_access_tokens/self)', () => {
    expect(() => checkGitLabVersion('15.4.6-ee', 'h')).toThrow(expect.objectContaining({ code: 'GITLAB_TOO_OLD' }));
    expect(() => checkGitLabVersion('14.10.0', 'h')).toThrow(expect.objectContaining({ code: 'GITLAB_TOO_OLD' }));
    expect(() => checkGitLabVersion('15.5.0', 'h')).not.toThrow();
    expect(() => checkGitLabVersion('17.11.2-ee', 'h')).not.toThrow();
  });
});

describe('proxy decisions', () => {
  it('takes the first HTTP proxy of a PAC result and honours DIRECT', () => {
    expect(parsePacResult('PROXY proxy.corp:3128; DIRECT')).toBe('http://proxy.corp:3128');
    expect(parsePacResult('SOCKS5 s:1080; HTTPS secure.corp:443')).toBe('https://secure.corp:443');
    expect(parsePacResult('DIRECT')).toBeUndefined();
    expect(parsePacResult('SOCKS s:1080')).toBeUndefined();
  });

  it('matches NO_PROXY like curl: suffixes, leading dots, ports, *', () => {
    expect(matchesNoProxy('gitlab.corp.example', '443', '.corp.example')).toBe(true);
    expect(matchesNoProxy('gitlab.corp.example', '443', 'corp.example')).toBe(true);
    expect(matchesNoProxy('gitlab.corp.example', '443', 'other.example,localhost')).toBe(false);
    expect(matchesNoProxy('gitlab.corp.example', '443', 'gitlab.corp.example:8443')).toBe(false);
    expect(matchesNoProxy('anything', '80', '*')).toBe(true);
    expect(matchesNoProxy('notcorp.example', '443', 'corp.example')).toBe(false);
  });
});
