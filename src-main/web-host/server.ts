import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, relative, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { z } from 'zod';
import { eventNames } from '../../src-shared/ipc/channels';
import { WEB_PATHS, WEB_SECRET_PARAM, type WebEventFrame } from '../../src-shared/ipc/web-transport';
import { securityHeaders } from '../platform/csp';
import type { EventBus } from '../platform/events';
import { forwardContractEvents, type Dispatch } from '../platform/ipc-dispatch';
import type { Logger } from '../platform/logger';
import {
  checkOrigin,
  checkSession,
  createIdentity,
  sameSecret,
  sessionCookie,
  type HostIdentity,
  type Refusal,
} from './guard';

/*
 * Browser mode: serves the built renderer and the typed contract over loopback, for machines where
 * the Electron binary cannot run and for a build host opened through an ssh port forward. Calls go
 * through the same dispatcher (validation, error envelope) as the Electron bridge; events go out on
 * one WebSocket per page. guard.ts decides who may talk to it; nothing here sends CORS headers, and
 * every response carries the window's CSP and refuses framing and cross-origin embedding.
 */

export interface WebHostOptions {
  /** The built renderer (out/renderer, or the UI harness's build). */
  rendererDir: string;
  dispatch: Dispatch;
  events: EventBus;
  logger: Logger;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only. */
  listen?: '127.0.0.1' | '::1';
}

export interface WebHost {
  /** The server's origin, e.g. http://127.0.0.1:41234 (without the secret: opens nothing by itself). */
  origin: string;
  /** The URL to open once: it carries the per-launch secret, exchanged for the session cookie. */
  openUrl: string;
  /** How many pages have their event connection open. */
  connections(): number;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json',
};

/** A call's arguments are user input (a comment, a task): generous, but bounded. */
const MAX_CALL_BYTES = 8 * 1024 * 1024;
/** The renderer's files are kept in memory once read (see rendererFile): each up to this size, all up to the second. */
const MAX_KEPT_FILE_BYTES = 8 * 1024 * 1024;
const MAX_KEPT_BYTES = 64 * 1024 * 1024;
/** A page that stops reading its events is cut off rather than buffered without end. */
const MAX_BUFFERED_EVENTS_BYTES = 16 * 1024 * 1024;

const CallSchema = z.object({
  service: z.string().max(100),
  method: z.string().max(100),
  args: z.array(z.unknown()).max(16),
});

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...securityHeaders(),
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    ...extra,
  };
}

function sendText(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}) {
  // A refused request's body is never read: close the connection rather than keep it for more.
  const close: Record<string, string> = status >= 400 ? { Connection: 'close' } : {};
  res.writeHead(status, headers({ 'Content-Type': 'text/plain; charset=utf-8', ...close, ...extra }));
  res.end(text);
}

function refuse(res: ServerResponse, refusal: Refusal) {
  const hint =
    refusal.status === 401
      ? 'Open the address `cospec serve-web` (or `npm start`) printed: it signs this browser in.'
      : 'Refused.';
  sendText(res, refusal.status, `${hint}\n`);
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const root = resolve(options.rendererDir);
  const listen = options.listen ?? '127.0.0.1';
  const logger = options.logger.child({ service: 'web-host' });
  // Known once listening (the port is part of it); a request before that is answered 503.
  const state: { identity?: HostIdentity } = {};
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });

  const refused = (what: string, refusal: Refusal) =>
    logger.warn('web host refused a request', { what, status: refusal.status, reason: refusal.reason });

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      logger.error('web host request failed', { error });
      if (!res.headersSent) sendText(res, 500, 'Internal error.\n');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const id = state.identity;
    if (!id) return sendText(res, 503, 'Starting.\n');
    const url = new URL(req.url ?? '/', 'http://placeholder');
    const what = `${req.method ?? ''} ${url.pathname}`;
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
      // Preflights included: no CORS headers are ever sent, so a browser never lets another origin in.
      refused(what, { status: 405, reason: 'method' });
      return sendText(res, 405, 'Method not allowed.\n', { Allow: 'GET, HEAD, POST' });
    }
    const isCall = url.pathname === WEB_PATHS.call;
    const originProblem = checkOrigin(req.headers, id, isCall);
    if (originProblem) {
      refused(what, originProblem);
      return refuse(res, originProblem);
    }
    // The secret, once: exchanged for the cookie, then a redirect drops it from the address bar
    // (and from history); the #route fragment survives the redirect.
    if (url.searchParams.has(WEB_SECRET_PARAM) && req.method === 'GET' && url.pathname === '/') {
      if (!sameSecret(url.searchParams.get(WEB_SECRET_PARAM) ?? undefined, id.secret)) {
        const refusal: Refusal = { status: 403, reason: 'wrong secret' };
        refused(what, refusal);
        return sendText(res, 403, 'This address is not valid (any more): open the one coSPEC printed.\n');
      }
      res.writeHead(303, headers({ Location: '/', 'Set-Cookie': sessionCookie(id), 'Content-Length': '0' }));
      return res.end();
    }
    const sessionProblem = checkSession(req.headers, id);
    if (sessionProblem) {
      refused(what, sessionProblem);
      return refuse(res, sessionProblem);
    }
    if (isCall) {
      if (req.method !== 'POST') return sendText(res, 405, 'Method not allowed.\n', { Allow: 'POST' });
      return call(req, res);
    }
    if (req.method === 'POST') return sendText(res, 405, 'Method not allowed.\n', { Allow: 'GET, HEAD' });
    return serveFile(url.pathname, req, res);
  }

  async function call(req: IncomingMessage, res: ServerResponse) {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
      return sendText(res, 415, 'Calls are JSON.\n');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_CALL_BYTES) return sendText(res, 413, 'Call too large.\n', { Connection: 'close' });
      chunks.push(chunk);
    }
    let body: z.infer<typeof CallSchema>;
    try {
      body = CallSchema.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      return sendText(res, 400, 'Not a call.\n');
    }
    const result = await options.dispatch(body.service, body.method, body.args);
    res.writeHead(200, headers({ 'Content-Type': 'application/json; charset=utf-8' }));
    res.end(JSON.stringify(result));
  }

  async function serveFile(pathname: string, req: IncomingMessage, res: ServerResponse) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return sendText(res, 400, 'Bad request.\n');
    }
    if (decoded.includes('\0')) return sendText(res, 400, 'Bad request.\n');
    const file = resolve(root, '.' + (decoded === '/' ? '/index.html' : decoded));
    if (!file.startsWith(root + sep)) return sendText(res, 404, 'Not found.\n');
    const body = await rendererFile(file);
    if (!body) return sendText(res, 404, 'Not found.\n');
    res.writeHead(
      200,
      headers({
        'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': String(body.length),
        // The app's code under assets/ is named by its content (see rendererFile), so this browser
        // may keep it: a later start then neither asks for it again nor compiles it again (V8
        // keeps the compiled code beside a cached script, as the window's app:// scheme does with
        // its codeCache privilege, src-main/shell/app-protocol.ts). It holds no data; index.html
        // and every call stay no-store.
        ...(isHashedAsset(file) ? { 'Cache-Control': 'private, max-age=31536000, immutable' } : {}),
      }),
    );
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  /*
   * The renderer's files, kept once read: a cold page load asks for a dozen of them at once while
   * main computes the page's first data on the same event loop, and a stat, open, reads and close
   * per request each took a turn of it (bench/review-profile.ts). Vite names what it emits under
   * assets/ by content hash, so those never change under their name; anything else (index.html)
   * is checked against its size and modification time on each request, so a rebuild is served.
   */
  const isHashedAsset = (file: string) => relative(root, file).startsWith(`assets${sep}`);
  const kept = new Map<string, { size: number; mtimeMs: number; body: Buffer }>();
  let keptBytes = 0;
  async function rendererFile(file: string): Promise<Buffer | undefined> {
    const hit = kept.get(file);
    const immutable = isHashedAsset(file);
    if (hit && immutable) return hit.body;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    if (hit && hit.size === info.size && hit.mtimeMs === info.mtimeMs) return hit.body;
    const body = await readFile(file).catch(() => undefined);
    if (!body) return undefined;
    if (body.length <= MAX_KEPT_FILE_BYTES && keptBytes + body.length - (hit?.body.length ?? 0) <= MAX_KEPT_BYTES) {
      keptBytes += body.length - (hit?.body.length ?? 0);
      kept.set(file, { size: info.size, mtimeMs: info.mtimeMs, body });
    }
    return body;
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const id = state.identity;
    if (!id) return void socket.destroy();
    const pathname = new URL(req.url ?? '/', 'http://placeholder').pathname;
    const refusal: Refusal | undefined =
      pathname !== WEB_PATHS.events
        ? { status: 400, reason: 'no WebSocket here' }
        : (checkOrigin(req.headers, id, true) ?? checkSession(req.headers, id));
    if (refusal) {
      refused(`upgrade ${pathname}`, refusal);
      socket.end(`HTTP/1.1 ${refusal.status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // The page only listens; anything it sends is ignored (maxPayload bounds it).
      ws.on('message', () => undefined);
      ws.on('error', () => ws.terminate());
    });
  });

  const stopEvents = forwardContractEvents(options.events, logger, (event, payload) => {
    const frame = JSON.stringify({ event, payload } satisfies WebEventFrame);
    for (const ws of sockets) {
      if (ws.readyState !== ws.OPEN) continue;
      if (ws.bufferedAmount > MAX_BUFFERED_EVENTS_BYTES) {
        logger.warn('a page stopped reading its events; disconnecting it', { event });
        ws.terminate();
        continue;
      }
      ws.send(frame);
    }
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, listen, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  const identity = createIdentity(port, listen);
  state.identity = identity;
  const origin = `http://${listen === '::1' ? '[::1]' : '127.0.0.1'}:${port}`;
  logger.info('web host listening', { origin, events: eventNames.length });

  return {
    origin,
    openUrl: `${origin}/?${WEB_SECRET_PARAM}=${identity.secret}`,
    connections: () => sockets.size,
    close: async () => {
      stopEvents();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}
