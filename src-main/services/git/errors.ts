import { CospecError } from '../../../src-shared/ipc/errors';
import { diagnoseNetworkError } from '../gitlab/diagnose';
import { redactProxyUrl } from '../gitlab/proxy';

/** What an error message may name: the repository (without credentials), the branch, the proxy. */
export interface CloneContext {
  url: string;
  branch?: string;
  proxyUrl?: string;
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

/** The repository as users know it (host/path, no scheme, no credentials). */
export function repoLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname.replace(/\.git$/, '')}`;
  } catch {
    return 'the repository';
  }
}

/** Errors worth another attempt: the connection dropped or the server hiccupped. */
export function isTransientCloneError(error: CospecError): boolean {
  return error.code === 'CONNECTION_RESET' || error.code === 'CONNECTION_TIMEOUT' || error.code === 'SERVER_ERROR';
}

export const cancelledError = () => new CospecError('CANCELLED', 'The clone was cancelled.');

export function missingBranchError(ctx: CloneContext): CospecError {
  return new CospecError(
    'NOT_FOUND',
    `The branch "${ctx.branch ?? ''}" does not exist in ${repoLabel(ctx.url)}. Pick an existing branch or leave it empty for the default branch.`,
  );
}

export function httpStatusError(status: number, ctx: CloneContext, detail?: string): CospecError {
  const repo = repoLabel(ctx.url);
  const host = hostOf(ctx.url);
  if (status === 401)
    return new CospecError(
      'UNAUTHORIZED',
      `${host} did not accept this account's token for cloning ${repo}. Reconnect the account or create a new token with the read_repository scope.`,
      detail,
    );
  if (status === 403)
    return new CospecError(
      'FORBIDDEN',
      `This account may not clone ${repo} (access denied). Check your role in the project, and that the token has the read_repository scope.`,
      detail,
    );
  if (status === 404)
    return new CospecError(
      'NOT_FOUND',
      `${repo} was not found, or this account no longer has access to it. It may have been moved, renamed or deleted.`,
      detail,
    );
  if (status === 407)
    return new CospecError(
      'PROXY_ERROR',
      `The proxy ${ctx.proxyUrl ? redactProxyUrl(ctx.proxyUrl) : ''} asks for credentials (407); add them to the proxy address.`,
      detail,
    );
  if (status === 429)
    return new CospecError('RATE_LIMITED', `${host} is rate-limiting requests; try again in a minute.`, detail);
  if (status >= 500)
    return new CospecError(
      'SERVER_ERROR',
      `${host} answered with a server error (${status}) while cloning ${repo}; try again later.`,
      detail,
    );
  return new CospecError('CLONE_FAILED', `${host} answered ${status} while cloning ${repo}.`, detail);
}

export function diskError(detail: string): CospecError {
  return new CospecError(
    'DISK_FULL',
    'The disk is full: there is no room for the clone. Free some space and try again.',
    detail,
  );
}

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  data?: { statusCode?: unknown; what?: unknown };
}

/** Maps what isomorphic-git, undici or fs threw to an error a user can act on. */
export function mapIsomorphicError(error: unknown, ctx: CloneContext, signal?: AbortSignal): CospecError {
  if (error instanceof CospecError) return error;
  if (signal?.aborted) return cancelledError();
  const e = (error ?? {}) as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT') return diskError(message);
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS') {
    return new CospecError(
      'CLONE_FAILED',
      'The clone could not be written: the workspace folder is not writable.',
      message,
    );
  }
  if (e.code === 'HttpError' && typeof e.data?.statusCode === 'number')
    return httpStatusError(e.data.statusCode, ctx, message);
  if (e.code === 'NotFoundError' && ctx.branch && message.includes(ctx.branch)) return missingBranchError(ctx);
  if (e.code === 'SmartHttpError' || e.code === 'EmptyServerResponseError' || e.code === 'ParseError') {
    return new CospecError(
      'CLONE_FAILED',
      `${hostOf(ctx.url)} did not answer like a git server. Check the repository URL.`,
      message,
    );
  }
  const diagnosed = diagnoseNetworkError(error, { host: hostOf(ctx.url), proxyUrl: ctx.proxyUrl });
  if (diagnosed.code !== 'INTERNAL') return diagnosed;
  return new CospecError('CLONE_FAILED', `Cloning ${repoLabel(ctx.url)} failed.`, message);
}

const GIT_MESSAGES: Array<{ match: RegExp; map: (ctx: CloneContext, m: RegExpExecArray) => CospecError }> = [
  { match: /No space left on device|Disk quota exceeded/i, map: (_c, m) => diskError(m[0]) },
  { match: /Remote branch .* not found in upstream/i, map: (ctx) => missingBranchError(ctx) },
  {
    match: /Authentication failed|could not read (Username|Password)|returned error: 401/i,
    map: (ctx) => httpStatusError(401, ctx),
  },
  { match: /returned error: 403/i, map: (ctx) => httpStatusError(403, ctx) },
  { match: /repository '.*' not found|returned error: 404/i, map: (ctx) => httpStatusError(404, ctx) },
  { match: /Received HTTP code 407/i, map: (ctx) => httpStatusError(407, ctx) },
  {
    match: /Could not resolve proxy|Proxy CONNECT aborted|CONNECT tunnel failed|Received HTTP code \d+ from proxy/i,
    map: (ctx) => proxyError(ctx),
  },
  { match: /returned error: (5\d\d)/i, map: (ctx, m) => httpStatusError(Number(m[1]), ctx) },
  {
    match: /Could not resolve host/i,
    map: (ctx) =>
      new CospecError(
        'DNS_FAILURE',
        `Can't resolve ${hostOf(ctx.url)} — are you connected to the VPN? Check the address and your DNS.`,
      ),
  },
  {
    match: /Failed to connect to .*(Connection refused|Couldn't connect)/i,
    map: (ctx) =>
      ctx.proxyUrl
        ? proxyError(ctx)
        : new CospecError(
            'CONNECTION_REFUSED',
            `${hostOf(ctx.url)} refused the connection. Check the port in the address, that GitLab is running, and that a firewall or VPN allows it.`,
          ),
  },
  {
    match: /timed out/i,
    map: (ctx) =>
      new CospecError(
        'CONNECTION_TIMEOUT',
        `${hostOf(ctx.url)} did not answer in time. If it is only reachable over a VPN, connect to the VPN and try again.`,
      ),
  },
  {
    match: /certificate has expired/i,
    map: (ctx) =>
      new CospecError(
        'TLS_CERT_EXPIRED',
        `The certificate of ${hostOf(ctx.url)} has expired. Ask your GitLab admin to renew it, and check your computer's clock.`,
      ),
  },
  {
    match: /no alternative certificate subject name|subject name .* does not match/i,
    map: (ctx) =>
      new CospecError(
        'TLS_HOSTNAME_MISMATCH',
        `The certificate presented by ${hostOf(ctx.url)} is for a different name. Check the address.`,
      ),
  },
  {
    match: /SSL certificate problem|certificate verify failed|server certificate verification failed/i,
    map: (ctx) =>
      new CospecError(
        'TLS_UNKNOWN_CA',
        `The certificate of ${hostOf(ctx.url)} is signed by an authority coSPEC does not trust. Add your company's CA certificate (PEM) in this account's network settings.`,
      ),
  },
  {
    match: /SSL|TLS|gnutls/i,
    map: (ctx) => new CospecError('TLS_ERROR', `A secure connection to ${hostOf(ctx.url)} could not be set up.`),
  },
  {
    match:
      /early EOF|RPC failed|transfer closed with outstanding read data|Connection reset|unexpected disconnect|remote end hung up|index-pack failed|invalid index-pack output|Empty reply from server/i,
    map: (ctx) =>
      new CospecError(
        'CONNECTION_RESET',
        `The connection to ${hostOf(ctx.url)} was cut during the clone. A VPN, firewall or proxy may be interfering; try again.`,
      ),
  },
];

function proxyError(ctx: CloneContext): CospecError {
  const proxy = ctx.proxyUrl ? redactProxyUrl(ctx.proxyUrl) : 'the proxy';
  return new CospecError(
    'PROXY_ERROR',
    `The proxy ${proxy} could not connect to ${hostOf(ctx.url)}. Check the proxy setting for this account.`,
  );
}

/** Maps the messages `git clone` printed (stderr, progress removed) to an error a user can act on. */
export function mapGitCliError(messages: string[], exitCode: number | null, ctx: CloneContext): CospecError {
  // "Cloning into '<staging folder>'..." names a temporary path the user never sees.
  const text = messages.filter((line) => !/^Cloning into /.test(line)).join('\n');
  const detail = text.slice(-2000) || `git exited with ${exitCode}`;
  for (const rule of GIT_MESSAGES) {
    const m = rule.match.exec(text);
    if (m) {
      const base = rule.map(ctx, m);
      return new CospecError(base.code, base.message, detail);
    }
  }
  return new CospecError('CLONE_FAILED', `git could not clone ${repoLabel(ctx.url)}.`, detail);
}
