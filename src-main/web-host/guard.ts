import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/*
 * Who may talk to the browser-mode web host (server.ts): only the page it served to whoever opened
 * the URL with the per-launch secret. Each check stands for one attack:
 * - Host must name this server exactly (127.0.0.1:PORT, localhost:PORT, [::1]:PORT): a DNS-rebinding
 *   page reaches the socket under its own name and is refused here.
 * - the session cookie must be present: it is set only in exchange for the secret, HttpOnly and
 *   SameSite=Strict, so no other page, tab or local user without the URL has it.
 * - Origin, when sent, must be this server's own origin, and is required on calls and WebSocket
 *   upgrades: every loopback port is the *same site* as this one, so a page served by any other
 *   local server gets the cookie attached to its requests, and only the Origin tells it apart.
 * - Sec-Fetch-Site, when sent, must be same-origin (or none: the user opened the URL themselves).
 */

export interface HostIdentity {
  port: number;
  /** The names the server answers to, with the port (Host header values, lower case). */
  hosts: ReadonlySet<string>;
  /** The cookie that proves the secret was exchanged (named per port: cookies ignore ports). */
  cookieName: string;
  /** The random per-launch secret in the URL the user opens. */
  secret: string;
  /** The random session value the cookie carries. */
  session: string;
}

export type Refusal = { status: 400 | 401 | 403 | 405 | 413 | 415; reason: string };

export function createIdentity(port: number, listen: '127.0.0.1' | '::1'): HostIdentity {
  const names = listen === '::1' ? [`[::1]:${port}`, `localhost:${port}`] : [`127.0.0.1:${port}`, `localhost:${port}`];
  return {
    port,
    hosts: new Set(names),
    cookieName: `cospec-session-${port}`,
    secret: randomBytes(32).toString('base64url'),
    session: randomBytes(32).toString('base64url'),
  };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Constant-time comparison of two strings (a mismatch in length is not secret). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie in a Cookie header; a name given twice counts as absent. */
export function readCookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  const found = (header(headers, 'cookie') ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
  return found.length === 1 ? found[0] : undefined;
}

/** Checks Host, Origin and Sec-Fetch-Site; `requireOrigin` for calls and WebSocket upgrades. */
export function checkOrigin(
  headers: IncomingHttpHeaders,
  identity: HostIdentity,
  requireOrigin: boolean,
): Refusal | undefined {
  const host = header(headers, 'host')?.toLowerCase();
  if (!host || !identity.hosts.has(host)) return { status: 403, reason: `Host "${host ?? ''}" is not this server` };
  const origin = header(headers, 'origin');
  if (origin === undefined) {
    if (requireOrigin) return { status: 403, reason: 'no Origin header' };
  } else if (origin.toLowerCase() !== `http://${host}`) {
    return { status: 403, reason: `foreign Origin "${origin}"` };
  }
  const site = header(headers, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return { status: 403, reason: `Sec-Fetch-Site is ${site}` };
  return undefined;
}

/** Checks the session cookie. */
export function checkSession(headers: IncomingHttpHeaders, identity: HostIdentity): Refusal | undefined {
  return sameSecret(readCookie(headers, identity.cookieName), identity.session)
    ? undefined
    : { status: 401, reason: 'no valid session cookie' };
}

/** The Set-Cookie value given in exchange for the secret. */
export function sessionCookie(identity: HostIdentity): string {
  return `${identity.cookieName}=${identity.session}; HttpOnly; SameSite=Strict; Path=/`;
}
