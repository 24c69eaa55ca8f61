import { spawn } from 'node:child_process';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/**
 * A real smart-HTTP git server for the clone tests: Node in front of `git http-backend` (CGI), with
 * GitLab-style Basic auth (any username, the token as password) on every request. Hooks let a test
 * cut the pack download once (a dropped connection) or hold it (to cancel mid-transfer).
 */
export interface GitHttpServerOptions {
  /** Folder holding bare repositories, served as /<path>.git. */
  root: string;
  token: string;
  tls?: { certPem: string; keyPem: string };
  /** Cut the connection after this many bytes of the first N upload-pack responses. */
  dropPacks?: { count: number; afterBytes: number };
  /** Pause an upload-pack response after this many bytes until release() is called. */
  holdPackAfterBytes?: number;
}

export interface GitHttpServer {
  url: string;
  /** Every request seen: method, path, and the Authorization header's user (never the secret). */
  requests: Array<{ method: string; path: string; user?: string; authorized: boolean }>;
  /** How many responses were cut on purpose. */
  dropped(): number;
  /** Resolves when a held pack response has stopped. */
  held: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const requests: GitHttpServer['requests'] = [];
  let dropsLeft = options.dropPacks?.count ?? 0;
  let dropped = 0;
  // A drop is spent only when a response really reaches the threshold (protocol v2 also POSTs small ls-refs).
  const takeDrop = () => (dropsLeft > 0 ? (dropsLeft--, dropped++, true) : false);
  let markHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (markHeld = resolve));
  let releaseHold: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (releaseHold = resolve));

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const auth = parseBasic(req.headers.authorization);
    const authorized = auth?.password === options.token;
    requests.push({ method: req.method ?? 'GET', path: url.pathname, user: auth?.username, authorized });
    if (!authorized) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitLab"', 'content-type': 'text/plain' });
      res.end('HTTP Basic: Access denied\n');
      return;
    }
    const isPack = url.pathname.endsWith('/git-upload-pack') && req.method === 'POST';
    const drop = isPack && options.dropPacks ? { afterBytes: options.dropPacks.afterBytes, take: takeDrop } : undefined;
    const hold = isPack ? options.holdPackAfterBytes : undefined;
    runBackend(options.root, req, res, url, auth?.username ?? '', { drop, hold, onHeld: markHeld, released });
  };

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    dropped: () => dropped,
    held,
    release: () => releaseHold(),
    close: () =>
      new Promise<void>((resolve) => {
        releaseHold();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  const m = /^Basic\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

function runBackend(
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  user: string,
  hooks: {
    drop?: { afterBytes: number; take: () => boolean };
    hold?: number;
    onHeld: () => void;
    released: Promise<void>;
  },
) {
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
      GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
      REMOTE_USER: user,
      REMOTE_ADDR: '127.0.0.1',
    },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let head = Buffer.alloc(0);
  let headersDone = false;
  let sent = 0;
  let paused = false;
  child.stdout.on('data', async (chunk: Buffer) => {
    if (!headersDone) {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      const headerText = head.subarray(0, end).toString('latin1');
      let status = 200;
      for (const line of headerText.split('\r\n')) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      chunk = head.subarray(end + 4);
    }
    if (hooks.drop && sent + chunk.length > hooks.drop.afterBytes && hooks.drop.take()) {
      res.write(chunk.subarray(0, Math.max(0, hooks.drop.afterBytes - sent)));
      child.kill();
      res.socket?.destroy();
      return;
    }
    if (hooks.hold !== undefined && !paused && sent + chunk.length > hooks.hold) {
      paused = true;
      child.stdout.pause();
      res.write(chunk);
      sent += chunk.length;
      hooks.onHeld();
      await hooks.released;
      child.stdout.resume();
      return;
    }
    sent += chunk.length;
    res.write(chunk);
  });
  child.stdout.on('end', () => res.end());
  res.on('close', () => child.kill());
}
