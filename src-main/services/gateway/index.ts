/**
 * Credential gateway: the only way a run's sandbox reaches its GitLab instance, adding the
 * account's credentials outside the container (credentials never enter the sandbox) and recording
 * what the agent did (the record feeds run outputs).
 *
 * ## Hook contract for the egress proxy
 *
 * One gateway per run, created before the container starts and closed after it ends.
 * The proxy asks `gateway.handles(host, port)` for each destination and, when true:
 *
 * - **Absolute-URI request** (`GET http://host:port/path HTTP/1.1`, what git and curl send for an
 *   `http://` instance through HTTP_PROXY): call `gateway.handleHttpRequest(req, res)` with the
 *   proxy server's `'request'` arguments untouched (req.url is the absolute URI; the body is still
 *   unread). The gateway answers on `res` itself.
 * - **CONNECT** (`CONNECT host:443`, for an `https://` instance): call
 *   `gateway.handleConnect(req, clientSocket, head)` with the proxy server's `'connect'` arguments
 *   untouched. The gateway writes `HTTP/1.1 200 Connection Established`, terminates TLS with a
 *   leaf certificate for the host signed by the run CA, and forwards each request inside over a
 *   fresh, verified TLS connection (through `dispatcher`, the account's proxy/CA settings).
 *   `gateway.caCertPem` is that CA: mount it into the container and trust it there
 *   (`containerTrustEnv`, `trustBundleCommand`). The CA key never leaves this process.
 *
 * The proxy's own allowlist check for the GitLab host is implied: traffic it hands over is
 * judged here (only git smart HTTP for the run's projects and an allowlisted part of REST v4;
 * everything else gets a 403 with the reason in the body). Other allowed domains stay plain
 * CONNECT tunnels in the proxy. A connection handed over for a host/scheme the gateway does not
 * serve is refused (403), never tunnelled.
 *
 * API calls: beyond the route allowlist (api-allowlist.ts), every call that can change something
 * has its whole body read and judged first (api-guard.ts): no line GitLab could run as a quick
 * action, in any parameter or encoding, and no field that moves work to another project. The
 * project list is answered with the run's projects only (project-list.ts), and every JSON answer
 * is cleaned of secrets and of other projects before the agent sees it (response-scrub.ts).
 * Refusals are answered with the reason and recorded as `gateway.refusal`.
 *
 * Pushes: every git-receive-pack is decided by push-guard.ts before any byte of it reaches GitLab
 * (`pushScope`: branches under the run's prefix, never the default or a protected branch, no tags,
 * no rewriting or deleting what the run did not create, no push option but `ci.skip`, which the
 * gateway can add to every push). A refused push is refused whole, answered with a report-status
 * git prints as `remote: …`, and recorded as `gateway.refusal`.
 *
 * Recording: every request (method, path, status — never headers, query or bodies), each ref a
 * push created/updated/deleted with GitLab's ok/ng, MRs opened, issues filed, notes added; in
 * memory (`record()`) and as JSON lines in `<logDir>/gateway.log` (`readGatewayLog` rebuilds the
 * record from it). The token is registered as a known secret with the logger and masked in API
 * responses, so it never reaches the log, the record or the sandbox.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket, type SecureContext } from 'node:tls';
import type { Dispatcher } from 'undici';
import { z } from 'zod';
import type { Logger } from '../../platform/logger';
import { forwardRequest, type ForwardContext } from './forward';
import { ProjectIdResolver } from './gitlab-json';
import { PushGuard } from './push-guard';
import { DEFAULT_PUSH_SCOPE, type PushScope } from './push-scope';
import type { GatewayRecord } from './record';
import { GatewayRecorder } from './recorder';
import { createRunCa } from './run-ca';
import { normaliseHost } from '../../platform/host';

export type { GatewayRecord } from './record';
export { gatewayRecordSchema } from './record';
export { readGatewayLog } from './recorder';
export { DEFAULT_BRANCH_PREFIX, DEFAULT_PUSH_SCOPE, type PushScope } from './push-scope';
export {
  gitRemoteForContainer,
  gitlabUrlForContainer,
  containerTrustEnv,
  trustBundleCommand,
  agentGitLabEnv,
} from './container';

export interface CredentialGatewayOptions {
  runId: string;
  /** The GitLab instance, e.g. "https://gitlab.example.com" or "http://127.0.0.1:8929/gitlab". */
  instanceUrl: string;
  /** Projects the run may reach by git and by project-scoped API calls, e.g. ["acme/web-app"]. */
  projectPaths: string[];
  /** The account's current token; called per request so a refreshed OAuth token is picked up. */
  getCredentials: () => Promise<{ token: string }>;
  /** The account's undici dispatcher (its proxy and CA settings); Node's defaults when absent. */
  dispatcher?: Dispatcher;
  /** The run's folder; gateway.log is written there. */
  logDir: string;
  /** The app's logger, for diagnostics that are not part of the run's record. */
  logger: Logger;
  /** What the agent may push; the default prefix, nothing inherited and no added ci.skip when absent. */
  pushScope?: PushScope;
}

export interface CredentialGateway {
  /** The run CA (PEM) for https instances, to mount into the container; undefined for http ones. */
  readonly caCertPem?: string;
  /** Where the run's gateway log is written. */
  readonly logPath: string;
  /** Whether traffic for this destination must be handed to the gateway. */
  handles(host: string, port: number): boolean;
  /** An absolute-URI request from the proxy (http:// instances). */
  handleHttpRequest(req: IncomingMessage, res: ServerResponse): void;
  /** A CONNECT from the proxy (https:// instances): TLS is terminated here. */
  handleConnect(req: IncomingMessage, clientSocket: Duplex, head: Buffer): void;
  /** A copy of what has been recorded so far. */
  record(): GatewayRecord;
  /** Ends open connections; the record stays readable. */
  close(): Promise<void>;
}

const tokenSchema = z.object({ token: z.string().min(1) });

const defaultPort = (protocol: string) => (protocol === 'https:' ? 443 : 80);

/** Splits "http://host:port/path?query" (absolute-form) or "/path?query" (origin-form) without normalising the path. */
function splitTarget(url: string): { authority?: string; path: string; search: string } | undefined {
  const m = /^(?:([a-z][a-z0-9+.-]*):\/\/([^/?#]*))?(\/[^?#]*)?(\?[^#]*)?/i.exec(url);
  if (!m || (!m[2] && !m[3])) return undefined;
  return { ...(m[2] !== undefined ? { authority: m[2] } : {}), path: m[3] ?? '/', search: m[4] ?? '' };
}

function parseAuthority(authority: string, protocol: string): { host: string; port: number } | undefined {
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  if (!m) return undefined;
  const host = normaliseHost(m[1]!);
  return host ? { host, port: m[2] ? Number(m[2]) : defaultPort(protocol) } : undefined;
}

/** Creates the gateway for one run (generates the run CA first for https instances). */
export async function createCredentialGateway(options: CredentialGatewayOptions): Promise<CredentialGateway> {
  const instance = new URL(options.instanceUrl);
  if (instance.protocol !== 'http:' && instance.protocol !== 'https:')
    throw new Error(`unsupported GitLab URL ${options.instanceUrl}`);
  const host = normaliseHost(instance.hostname);
  if (!host) throw new Error(`unsupported GitLab URL ${options.instanceUrl}`);
  const port = instance.port ? Number(instance.port) : defaultPort(instance.protocol);
  const basePath = instance.pathname.replace(/\/+$/, '');
  const secrets = new Set<string>();
  const recorder = new GatewayRecorder(
    options.runId,
    options.instanceUrl,
    options.projectPaths,
    options.logDir,
    () => secrets,
  );
  const apiBase = `${instance.origin}${basePath}/api/v4`;
  const ctx: ForwardContext = {
    origin: instance.origin,
    basePath,
    projectPaths: options.projectPaths,
    dispatcher: options.dispatcher,
    resolver: new ProjectIdResolver(apiBase, options.dispatcher),
    recorder,
    logger: options.logger,
    pushGuard: new PushGuard({
      scope: options.pushScope ?? DEFAULT_PUSH_SCOPE,
      apiBase,
      dispatcher: options.dispatcher,
      recorder,
    }),
    async getToken() {
      const { token } = tokenSchema.parse(await options.getCredentials());
      secrets.add(token);
      return token;
    },
  };
  // Every spelling of the instance's host (case, trailing dot, IPv4/IPv6 literal forms) is the instance.
  const handles = (h: string, p: number) => normaliseHost(h) === host && p === port;

  const serve = (req: IncomingMessage, res: ServerResponse, protocol: 'http:' | 'https:') => {
    const target = splitTarget(req.url ?? '');
    const authority = target?.authority ?? req.headers.host ?? '';
    const dest = parseAuthority(authority, protocol);
    const refuse = (status: number, message: string) => {
      req.resume();
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`coSPEC gateway: ${message}\n`);
      recorder.add('gateway.request', {
        at: new Date().toISOString(),
        method: req.method ?? '',
        path: target?.path ?? '',
        kind: 'refused',
        status,
        durationMs: 0,
        reason: message,
      });
      recorder.add('gateway.refusal', {
        at: new Date().toISOString(),
        kind: 'api',
        target: `${req.method ?? ''} ${target?.path ?? ''}`,
        reason: message,
      });
    };
    if (!target || !dest) return refuse(400, 'malformed request target');
    if (protocol !== instance.protocol || !handles(dest.host, dest.port))
      return refuse(403, `${authority} is not this run's GitLab instance`);
    if (basePath && target.path !== basePath && !target.path.startsWith(basePath + '/'))
      return refuse(403, 'path outside the GitLab instance');
    forwardRequest(ctx, req, res, target.path.slice(basePath.length) || '/', target.search).catch((err: unknown) => {
      options.logger.error('gateway: request failed', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
  };

  let caCertPem: string | undefined;
  let secureContext: SecureContext | undefined;
  const sockets = new Set<Duplex>();
  const inner: Server = createServer((req, res) => serve(req, res, 'https:'));
  if (instance.protocol === 'https:') {
    const ca = await createRunCa(options.runId, host);
    caCertPem = ca.caCertPem;
    secureContext = createSecureContext({ key: ca.leafKeyPem, cert: ca.leafChainPem });
  }

  const refuseConnect = (socket: Duplex, message: string) => {
    socket.end(
      `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\ncoSPEC gateway: ${message}\n`,
    );
  };

  return {
    ...(caCertPem ? { caCertPem } : {}),
    logPath: recorder.logPath,
    handles,
    handleHttpRequest: (req, res) => serve(req, res, 'http:'),
    handleConnect(req, clientSocket, head) {
      const dest = parseAuthority(req.url ?? '', 'https:');
      if (!secureContext || !dest || !handles(dest.host, dest.port)) {
        recorder.add('gateway.request', {
          at: new Date().toISOString(),
          method: 'CONNECT',
          path: req.url ?? '',
          kind: 'refused',
          status: 403,
          durationMs: 0,
          reason: 'not an https GitLab instance of this run',
        });
        recorder.add('gateway.refusal', {
          at: new Date().toISOString(),
          kind: 'api',
          target: `CONNECT ${req.url ?? ''}`,
          reason: 'not an https GitLab instance of this run',
        });
        return refuseConnect(clientSocket, `${req.url ?? ''} is not this run's https GitLab instance`);
      }
      sockets.add(clientSocket);
      clientSocket.on('close', () => sockets.delete(clientSocket));
      clientSocket.on('error', () => clientSocket.destroy());
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) clientSocket.unshift(head);
      const tlsSocket = new TLSSocket(clientSocket, { isServer: true, secureContext, ALPNProtocols: ['http/1.1'] });
      tlsSocket.on('error', (err) => {
        // Typically the client does not trust the run CA (misconfigured container): say so once.
        recorder.note('warn', 'gateway.tls_error', { error: err.message });
        clientSocket.destroy();
      });
      inner.emit('connection', tlsSocket);
    },
    record: () => recorder.snapshot(),
    async close() {
      for (const socket of sockets) socket.destroy();
      inner.close();
    },
  };
}
