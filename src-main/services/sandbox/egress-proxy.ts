import { lookup as dnsLookup } from 'node:dns/promises';
import { createWriteStream, type WriteStream } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { chmod, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, isIP, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { RunRecord } from '../../../src-shared/model/run';
import type { CredentialGateway } from '../gateway';
import type { ModelGateway } from '../gateway/model-gateway';
import { normaliseHost } from '../../platform/host';
import { compileAllowlist, forbiddenAddressReason } from './allowlist';
import { cachedLookup } from './dns-cache';
import { createPlainHttpForwarder } from './http-forward';
import { readInto, streamTarget } from './read-into';

/**
 * The run's only way out: the container reaches it through a relay, over a mounted unix
 * socket or a per-run internal network (egress-route.ts), or on the relay's own listener handed
 * to the app (listener-handoff.ts), and nothing else. It serves CONNECT
 * (https and other TLS) and absolute-URI requests (plain http, what git sends for http:// remotes)
 * to allowlisted destinations only, resolves names itself (the container has no resolver, and a
 * denied name is never looked up, so DNS cannot carry data out), and refuses addresses that reach
 * the host or private networks unless that exact host is listed. The run's GitLab instance is
 * handed to the credential gateway, which adds the credentials outside the container.
 */

export interface EgressDecision {
  at: string;
  method: string;
  host: string;
  port: number;
  allowed: boolean;
  reason: string;
  /** The address connected to, when allowed and not handled by the gateway. */
  address?: string;
  /** Denied only because no allowlist entry names it: adding one would let it through (address rules aside). */
  allowable?: boolean;
  /** For plain-HTTP requests, the URL asked for (origin and path; the query is left out, it may hold secrets). */
  url?: string;
}

/** How many distinct requests a summary entry keeps to show which process asked. */
const REQUESTS_PER_DESTINATION = 5;

export type Lookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface EgressProxyOptions {
  /** Listen on this unix socket (the run's); when absent, on `host` at a free port. */
  socketPath?: string;
  /** The TCP address to listen on when there is no socket; 127.0.0.1 by default. */
  host?: string;
  /**
   * Basic proxy credentials every request must carry. A TCP proxy is reachable by more than its
   * run's container (other containers on the engine's network, host processes), so it needs them.
   */
  credentials?: { username: string; password: string };
  allowlist: readonly string[];
  /**
   * Whether an allowlist entry (canonical text) may name or resolve to loopback, private,
   * link-local or metadata addresses: only what the admin's policy allows. Never by default, so a
   * listed name that resolves to 127.0.0.1 (DNS rebinding) is refused.
   */
  mayReachPrivate?: (entry: string) => boolean;
  gateway?: Pick<CredentialGateway, 'handles' | 'handleHttpRequest' | 'handleConnect'>;
  /** The run's model gateway: its reserved model API names are handed there and never resolved. */
  modelGateway?: Pick<ModelGateway, 'handles' | 'handleHttpRequest' | 'handleConnect'>;
  /** Name resolution; the OS resolver by default. */
  lookup?: Lookup;
  /** Each decision as a JSON line (the run's egress.log). */
  logPath?: string;
  onDecision?(decision: EgressDecision): void;
}

export interface EgressProxy {
  /** The unix socket path, or http://127.0.0.1:PORT. */
  readonly address: string;
  decisions(): EgressDecision[];
  /** Attempts grouped by destination and verdict, as RunRecord.egress. */
  summary(): RunRecord['egress'];
  /**
   * Serves the connections another listener accepts as its own, under the same rules and the
   * same per-listener limit (the relay's listener, handed off: listener-handoff.ts). The listener
   * is closed with the proxy, or at once if the proxy is closed already.
   */
  adopt(listener: Server): void;
  close(): Promise<void>;
}

/** A run must not exhaust the host's descriptors through its proxy: connections per listener. */
const MAX_CONNECTIONS = 512;

const MAX_KEPT_DECISIONS = 5000;

const defaultLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true });

/** "host:port" or "[v6]:port" from a CONNECT line. */
function parseConnectTarget(target: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.%\w-]+\]|[^:[\]\s/]+):(\d{1,5})$/.exec(target);
  if (!m) return undefined;
  const port = Number(m[2]);
  const host = normaliseHost(m[1]!);
  return host && port >= 1 && port <= 65535 ? { host, port } : undefined;
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const allowlist = compileAllowlist(options.allowlist, {
    ...(options.mayReachPrivate ? { mayReachPrivate: options.mayReachPrivate } : {}),
  });
  // Shared and briefly kept per proxy (dns-cache.ts); every address is still judged below.
  const lookup = cachedLookup(options.lookup ?? defaultLookup);
  const kept: EgressDecision[] = [];
  const counts = new Map<
    string,
    {
      destination: string;
      verdict: 'allowed' | 'denied';
      reason?: string;
      count: number;
      requests: string[];
      allowable: boolean;
    }
  >();
  const sockets = new Set<Duplex>();
  // Plain-http requests' upstream connections, kept between requests (http-forward.ts).
  const forwarder = createPlainHttpForwarder();
  const log: WriteStream | undefined = options.logPath
    ? createWriteStream(options.logPath, { flags: 'a', mode: 0o600 })
    : undefined;
  log?.on('error', () => undefined);

  const decide = (d: Omit<EgressDecision, 'at'>, opts: { summarise?: boolean } = {}): EgressDecision => {
    const decision = { at: new Date().toISOString(), ...d };
    if (kept.length < MAX_KEPT_DECISIONS) kept.push(decision);
    log?.write(JSON.stringify(decision) + '\n');
    options.onDecision?.(decision);
    // A request without proxy credentials names no destination the user could allow (clients such
    // as git ask without them first, then retry with them): logged, but not a denied destination.
    if (opts.summarise === false) return decision;
    const destination = `${decision.host.includes(':') ? `[${decision.host}]` : decision.host}:${decision.port}`;
    const key = `${destination} ${decision.allowed}`;
    // What asked, as far as the proxy can tell: the method and URL of plain HTTP, CONNECT host:port.
    const request = decision.url ? `${decision.method} ${decision.url}` : `${decision.method} ${destination}`;
    const entry = counts.get(key);
    if (entry) {
      entry.count++;
      if (entry.requests.length < REQUESTS_PER_DESTINATION && !entry.requests.includes(request))
        entry.requests.push(request);
    } else
      counts.set(key, {
        destination,
        verdict: decision.allowed ? 'allowed' : 'denied',
        ...(decision.allowed ? {} : { reason: decision.reason }),
        count: 1,
        requests: [request],
        allowable: decision.allowable === true,
      });
    return decision;
  };

  /** Allowlist, then resolution, then the address rules; a denied name is never resolved. */
  const judge = async (
    method: string,
    host: string,
    port: number,
    url?: string,
  ): Promise<{ ok: true; address: string } | { ok: false; status: number; reason: string }> => {
    const match = allowlist.match(host, port);
    if (!match.allowed) {
      decide({ method, host, port, ...(url ? { url } : {}), allowed: false, reason: match.reason, allowable: true });
      return { ok: false, status: 403, reason: match.reason };
    }
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : (await lookup(host)).map((a) => a.address);
    } catch (error) {
      const reason = `cannot resolve ${host}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
      decide({ method, host, port, ...(url ? { url } : {}), allowed: false, reason });
      return { ok: false, status: 502, reason };
    }
    // The address checked is the address connected to: a name cannot be re-resolved to another in between.
    const usable = match.privateOk ? addresses : addresses.filter((a) => !forbiddenAddressReason(a));
    const address = usable[0];
    if (!address) {
      const reason = addresses.length
        ? isIP(host)
          ? `${forbiddenAddressReason(host)}; only your organization's policy can open it to the sandbox`
          : `${host} resolves to ${forbiddenAddressReason(addresses[0]!)}; only your organization's policy can open it to the sandbox`
        : `${host} has no address`;
      decide({ method, host, port, ...(url ? { url } : {}), allowed: false, reason });
      return { ok: false, status: 403, reason };
    }
    decide({ method, host, port, ...(url ? { url } : {}), allowed: true, reason: `matches ${match.entry}`, address });
    return { ok: true, address };
  };

  const refuseSocket = (socket: Duplex, status: number, reason: string) => {
    const text =
      status === 403
        ? 'Forbidden'
        : status === 400
          ? 'Bad Request'
          : status === 407
            ? 'Proxy Authentication Required'
            : 'Bad Gateway';
    const challenge = status === 407 ? 'proxy-authenticate: Basic realm="coSPEC egress"\r\n' : '';
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain\r\n${challenge}connection: close\r\n\r\ncoSPEC egress: ${reason}\n`,
    );
  };

  const expected = options.credentials
    ? Buffer.from(
        `Basic ${Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString('base64')}`,
      )
    : undefined;
  /** Whether the request carries the run's proxy credentials (always true for the run's private socket). */
  const authorised = (req: IncomingMessage): boolean => {
    if (!expected) return true;
    const given = Buffer.from(String(req.headers['proxy-authorization'] ?? ''));
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const UNAUTHORISED = 'proxy credentials missing or wrong (only the run’s own container may use this proxy)';

  const onConnect = (req: IncomingMessage, client: Duplex, head: Buffer) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (!authorised(req)) {
      decide(
        { method: 'CONNECT', host: String(req.url ?? '').slice(0, 200), port: 0, allowed: false, reason: UNAUTHORISED },
        { summarise: false },
      );
      return refuseSocket(client, 407, UNAUTHORISED);
    }
    const target = parseConnectTarget(req.url ?? '');
    if (!target) {
      decide({
        method: 'CONNECT',
        host: String(req.url ?? '').slice(0, 200),
        port: 0,
        allowed: false,
        reason: 'malformed CONNECT target',
      });
      return refuseSocket(client, 400, 'malformed CONNECT target');
    }
    if (options.modelGateway?.handles(target.host, target.port)) {
      decide({
        method: 'CONNECT',
        host: target.host,
        port: target.port,
        allowed: false,
        reason: 'model APIs are reached over plain http through the model gateway',
      });
      return options.modelGateway.handleConnect(req, client, head);
    }
    if (options.gateway?.handles(target.host, target.port)) {
      decide({
        method: 'CONNECT',
        host: target.host,
        port: target.port,
        allowed: true,
        reason: 'the run’s GitLab instance (credential gateway)',
      });
      return options.gateway.handleConnect(req, client, head);
    }
    void judge('CONNECT', target.host, target.port).then((verdict) => {
      if (!verdict.ok) return refuseSocket(client, verdict.status, verdict.reason);
      // After the decision the bytes only pass: the answer is read into large reusable buffers and
      // written to the client as is (read-into.ts); nothing parses or copies it per chunk.
      const toClient = readInto(streamTarget(client));
      const upstream: Socket = connect({ host: verdict.address, port: target.port, onread: toClient });
      toClient.attach(upstream);
      let established = false;
      upstream.setNoDelay(true);
      sockets.add(upstream);
      upstream.setTimeout(30_000, () => upstream.destroy(new Error('connect timeout')));
      upstream.once('connect', () => {
        established = true;
        upstream.setTimeout(0);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length) upstream.write(head);
        upstream.on('end', () => client.end());
        client.pipe(upstream);
      });
      upstream.on('error', (err) => {
        if (!established) refuseSocket(client, 502, `cannot reach ${target.host}:${target.port}: ${err.message}`);
        else client.destroy();
      });
      upstream.on('close', () => {
        sockets.delete(upstream);
        client.destroy();
      });
      client.on('close', () => upstream.destroy());
    });
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    if (!authorised(req)) {
      decide(
        {
          method: req.method ?? '',
          host: String(req.url ?? '').slice(0, 200),
          port: 0,
          allowed: false,
          reason: UNAUTHORISED,
        },
        { summarise: false },
      );
      req.resume();
      res
        .writeHead(407, { 'content-type': 'text/plain', 'proxy-authenticate': 'Basic realm="coSPEC egress"' })
        .end(`coSPEC egress: ${UNAUTHORISED}\n`);
      return;
    }
    let url: URL | undefined;
    try {
      url = /^http:\/\//i.test(req.url ?? '') ? new URL(req.url!) : undefined;
    } catch {
      url = undefined;
    }
    if (!url) {
      decide({
        method: req.method ?? '',
        host: String(req.headers.host ?? '').slice(0, 200),
        port: 0,
        allowed: false,
        reason: 'not a proxy request (absolute http:// URI expected)',
      });
      req.resume();
      res
        .writeHead(400, { 'content-type': 'text/plain' })
        .end('coSPEC egress: send absolute http:// URIs or CONNECT\n');
      return;
    }
    const host = normaliseHost(url.hostname);
    const port = url.port ? Number(url.port) : 80;
    if (!host) {
      decide({
        method: req.method ?? '',
        host: url.hostname.slice(0, 200),
        port,
        allowed: false,
        reason: 'malformed host',
      });
      req.resume();
      res.writeHead(400, { 'content-type': 'text/plain' }).end('coSPEC egress: malformed host\n');
      return;
    }
    if (options.modelGateway?.handles(host, port)) {
      decide({ method: req.method ?? '', host, port, allowed: true, reason: 'the run’s model API (model gateway)' });
      return options.modelGateway.handleHttpRequest(req, res);
    }
    if (options.gateway?.handles(host, port)) {
      decide({
        method: req.method ?? '',
        host,
        port,
        allowed: true,
        reason: 'the run’s GitLab instance (credential gateway)',
      });
      return options.gateway.handleHttpRequest(req, res);
    }
    void judge(req.method ?? 'GET', host, port, `${url.origin}${url.pathname}`.slice(0, 300)).then((verdict) => {
      if (!verdict.ok) {
        req.resume();
        res.writeHead(verdict.status, { 'content-type': 'text/plain' }).end(`coSPEC egress: ${verdict.reason}\n`);
        return;
      }
      forwarder.forward(req, res, {
        address: verdict.address,
        port,
        host: url.host,
        path: url.pathname + url.search,
      });
    });
  };

  const server = createServer({ requestTimeout: 0 }, onRequest);
  server.maxConnections = MAX_CONNECTIONS;
  server.on('connect', onConnect);
  // Anything that is not HTTP (raw TCP/UDP payloads through the relay) ends here.
  server.on('clientError', (_err, socket) => {
    decide({ method: 'RAW', host: '-', port: 0, allowed: false, reason: 'not an HTTP proxy request' });
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  let address: string;
  if (options.socketPath) {
    // A Windows named pipe (tunnel shape) is no file: nothing to remove or chmod.
    const file = !options.socketPath.startsWith('\\\\.\\pipe\\');
    if (file) await rm(options.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.socketPath, resolve));
    // The agent runs as a non-root uid inside; the folder holding the socket keeps other host users out.
    if (file) await chmod(options.socketPath, 0o666);
    address = options.socketPath;
  } else {
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
    address = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
  }

  const adopted = new Set<Server>();
  let closed = false;
  return {
    address,
    decisions: () => kept.slice(),
    summary: () => [...counts.values()].map((c) => ({ ...c, requests: [...c.requests] })),
    adopt(listener) {
      if (closed) {
        listener.close();
        return;
      }
      adopted.add(listener);
      listener.maxConnections = MAX_CONNECTIONS;
      listener.on('connection', (socket: Socket) => {
        // What the HTTP server's own listener does for its connections.
        socket.setNoDelay(true);
        server.emit('connection', socket);
      });
    },
    async close() {
      closed = true;
      // Also lets go of the network namespace an adopted listener belongs to.
      for (const listener of adopted) listener.close();
      for (const socket of sockets) socket.destroy();
      forwarder.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => (log ? log.end(resolve) : resolve()));
      if (options.socketPath && !options.socketPath.startsWith('\\\\.\\pipe\\'))
        await rm(options.socketPath, { force: true });
    },
  };
}
