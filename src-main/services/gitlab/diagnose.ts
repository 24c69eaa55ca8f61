import { CospecError } from '../../../src-shared/ipc/errors';
import { ErrorBodySchema } from './schemas';
import { redactProxyUrl } from './proxy';

export interface DiagnoseContext {
  /** The instance's host name, as users know it. */
  host: string;
  proxyUrl?: string;
}

/** Every `code` and message along an error's cause chain (fetch wraps the real error in `cause`). */
function chain(error: unknown): Array<{ code?: string; message: string; name?: string }> {
  const out: Array<{ code?: string; message: string; name?: string }> = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown) => {
    if (!e || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    const rec = e as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
    out.push({
      code: typeof rec.code === 'string' ? rec.code : undefined,
      message: typeof rec.message === 'string' ? rec.message : '',
      name: typeof rec.name === 'string' ? rec.name : undefined,
    });
    visit(rec.cause);
    if (Array.isArray(rec.errors)) rec.errors.forEach(visit);
  };
  visit(error);
  return out;
}

const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/**
 * Maps a failed connection to an error a user behind a VPN or a corporate proxy can act on. The
 * message names the host and the next step; `detail` keeps the low-level code for support.
 */
export function diagnoseNetworkError(error: unknown, ctx: DiagnoseContext): CospecError {
  if (error instanceof CospecError) return error;
  const links = chain(error);
  const codes = links.map((l) => l.code).filter((c): c is string => Boolean(c));
  const text = links.map((l) => l.message).join(' | ');
  const detail = [codes.join(','), text].filter(Boolean).join(': ');
  const has = (...wanted: string[]) => codes.some((c) => wanted.includes(c));
  const proxy = ctx.proxyUrl ? redactProxyUrl(ctx.proxyUrl) : undefined;

  if (
    proxy &&
    (/Proxy response|HTTP Tunneling|proxy/i.test(text) || has('ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET'))
  ) {
    // With a proxy, the only connection we make is to the proxy: every connect-level failure is its.
    const status = /Proxy response \((\d+)\)/.exec(text)?.[1];
    const why =
      status === '407'
        ? 'asks for credentials (407); add them to the proxy address'
        : status
          ? `answered ${status} when asked to reach ${ctx.host}`
          : 'could not be reached';
    return new CospecError(
      'PROXY_ERROR',
      `The proxy ${proxy} ${why}. Check the proxy setting for this account, or your network's proxy configuration.`,
      detail,
    );
  }
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL')) {
    return new CospecError(
      'DNS_FAILURE',
      `Can't resolve ${ctx.host} — are you connected to the VPN? Check the address and your DNS.`,
      detail,
    );
  }
  if (has('ECONNREFUSED')) {
    return new CospecError(
      'CONNECTION_REFUSED',
      `${ctx.host} refused the connection. Check the port in the address, that GitLab is running, and that a firewall or VPN allows it.`,
      detail,
    );
  }
  if (
    has('UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ABORT_ERR') ||
    links.some((l) => l.name === 'TimeoutError')
  ) {
    return new CospecError(
      'CONNECTION_TIMEOUT',
      `${ctx.host} did not answer in time. If it is only reachable over a VPN, connect to the VPN and try again.`,
      detail,
    );
  }
  if (has(...UNKNOWN_CA)) {
    return new CospecError(
      'TLS_UNKNOWN_CA',
      `The certificate of ${ctx.host} is signed by an authority coSPEC does not trust. Add your company's CA certificate (PEM) in this account's network settings, or trust the system certificate store.`,
      detail,
    );
  }
  if (has('ERR_TLS_CERT_ALTNAME_INVALID')) {
    return new CospecError(
      'TLS_HOSTNAME_MISMATCH',
      `The certificate presented by ${ctx.host} is for a different name. Check the address (for example the exact host name your admin gave you).`,
      detail,
    );
  }
  if (has('CERT_HAS_EXPIRED')) {
    return new CospecError(
      'TLS_CERT_EXPIRED',
      `The certificate of ${ctx.host} has expired. Ask your GitLab admin to renew it, and check your computer's clock.`,
      detail,
    );
  }
  if (
    codes.some((c) => c.startsWith('ERR_TLS') || c.startsWith('ERR_SSL') || c.includes('CERT')) ||
    /SSL|TLS/.test(text)
  ) {
    return new CospecError(
      'TLS_ERROR',
      `A secure connection to ${ctx.host} could not be set up. If you use an http:// instance, allow http for it; otherwise check its TLS setup.`,
      detail,
    );
  }
  if (has('ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED')) {
    return new CospecError(
      'CONNECTION_RESET',
      `The connection to ${ctx.host} was cut. A VPN, firewall or proxy may be interfering; try again.`,
      detail,
    );
  }
  return new CospecError('INTERNAL', `The request to ${ctx.host} failed unexpectedly.`, detail);
}

/** Whether a connection failure is worth retrying for an idempotent request. */
export function isTransientNetworkError(error: unknown): boolean {
  const codes = chain(error).map((l) => l.code);
  return codes.some((c) => c === 'ECONNRESET' || c === 'UND_ERR_SOCKET' || c === 'EPIPE');
}

/**
 * Maps a GitLab error answer. 401 bodies say whether the token expired or was revoked
 * (Doorkeeper's error_description); 403 with insufficient_scope names the missing scope.
 */
export function diagnoseHttpStatus(status: number, body: string, ctx: DiagnoseContext): CospecError {
  let parsed: ReturnType<typeof ErrorBodySchema.parse> = {};
  try {
    parsed = ErrorBodySchema.parse(JSON.parse(body));
  } catch {
    // not JSON: fall through to the status alone
  }
  const description = `${parsed.error ?? ''} ${parsed.error_description ?? ''} ${typeof parsed.message === 'string' ? parsed.message : ''}`;
  if (status === 401) {
    if (/revoked/i.test(description))
      return new CospecError(
        'TOKEN_REVOKED',
        `The token for ${ctx.host} was revoked. Create a new token (or reconnect) and try again.`,
      );
    if (/expired/i.test(description))
      return new CospecError(
        'TOKEN_EXPIRED',
        `The token for ${ctx.host} has expired. Create a new token with a later expiry date (or reconnect) and try again.`,
      );
    return new CospecError(
      'UNAUTHORIZED',
      `${ctx.host} did not accept the token. Check that you copied all of it and that it belongs to this instance.`,
    );
  }
  if (status === 403) {
    if (parsed.error === 'insufficient_scope') {
      return new CospecError(
        'MISSING_SCOPE',
        `The token for ${ctx.host} lacks a required scope. Create a token with the scopes "api" and "read_user".`,
        parsed.scope ? `allowed scopes: ${parsed.scope}` : undefined,
      );
    }
    return new CospecError(
      'FORBIDDEN',
      `${ctx.host} refused this request (403). The account may be blocked or lack access.`,
    );
  }
  if (status === 429)
    return new CospecError('RATE_LIMITED', `${ctx.host} is rate-limiting requests. Wait a minute and try again.`);
  if (status >= 500)
    return new CospecError(
      'SERVER_ERROR',
      `${ctx.host} had an internal error (${status}). Try again later or ask your GitLab admin.`,
    );
  if (status === 404)
    return new CospecError(
      'NOT_GITLAB',
      `${ctx.host} has no GitLab API at this address. Check the address, including any path such as /gitlab.`,
    );
  return new CospecError('SERVER_ERROR', `${ctx.host} answered with an unexpected status ${status}.`);
}
