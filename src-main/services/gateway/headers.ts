import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { hopByHopNames } from '../../platform/hop-by-hop';

/**
 * Header and query rewriting between the sandbox and GitLab. Whatever credentials the agent sends
 * are dropped — so it cannot act as anyone but the run's account — and the account's are added:
 * git smart HTTP takes Basic `oauth2:<token>` (GitLab accepts it for OAuth and personal access
 * tokens alike), the REST API takes `Authorization: Bearer <token>` (also valid for both).
 */

/** Besides the hop-by-hop ones: headers undici sets itself or refuses to forward. */
const SET_BY_UNDICI = ['expect', 'host'];

/** Anything that could carry an identity or act for another user. */
const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'private-token',
  'job-token',
  'deploy-token',
  'sudo',
  'cookie',
];

/** Query parameters GitLab reads credentials or impersonation from. */
const CREDENTIAL_PARAMS = ['private_token', 'access_token', 'job_token', 'sudo'];

export type AuthKind = 'git' | 'api';

export function authorizationFor(kind: AuthKind, token: string): string {
  return kind === 'git' ? `Basic ${Buffer.from(`oauth2:${token}`, 'utf8').toString('base64')}` : `Bearer ${token}`;
}

/** The headers sent to GitLab: the client's, minus hop-by-hop and credentials, plus the account's. */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  kind: AuthKind,
  token: string,
): Record<string, string | string[]> {
  const dropped = hopByHopNames(incoming.connection);
  for (const name of [...SET_BY_UNDICI, ...CREDENTIAL_HEADERS]) dropped.add(name);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || dropped.has(name.toLowerCase())) continue;
    out[name] = value;
  }
  // API responses are scanned for the token on the way back, which needs them uncompressed.
  if (kind === 'api') out['accept-encoding'] = 'identity';
  out.authorization = authorizationFor(kind, token);
  return out;
}

/** The query string without credential or impersonation parameters ('' or '?…'). */
export function stripCredentialQuery(search: string): string {
  const params = new URLSearchParams(search);
  for (const name of [...params.keys()]) {
    if (CREDENTIAL_PARAMS.includes(name.toLowerCase())) params.delete(name);
  }
  const rest = params.toString();
  return rest ? `?${rest}` : '';
}

/**
 * The headers sent back to the sandbox. Authentication challenges are dropped: the gateway holds
 * the credentials, so a challenge would only make git wait for a password prompt that cannot come.
 */
export function downstreamResponseHeaders(
  upstream: Record<string, string | string[] | undefined>,
): OutgoingHttpHeaders {
  const dropped = hopByHopNames(upstream.connection);
  for (const name of [...SET_BY_UNDICI, 'www-authenticate', 'set-cookie']) dropped.add(name);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || dropped.has(name.toLowerCase())) continue;
    out[name] = value;
  }
  return out;
}
