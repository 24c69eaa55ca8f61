import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { hopByHopNames } from '../../platform/hop-by-hop';
import {
  HttpFramingError,
  ResponseReader,
  headerList,
  type BodyFraming,
  type ResponseHead,
} from './http-response-reader';
import { readInto } from './read-into';

/**
 * The egress proxy's plain-http path (absolute-URI requests: http:// package mirrors, registries,
 * anything a tool fetches over http through HTTP_PROXY), after the allowlist decision. The request
 * goes to the judged address on a connection of this module's; the answer is read into large
 * reusable buffers (read-into.ts), framed by http-response-reader.ts and written to the client as
 * slices, so a download costs what a CONNECT tunnel costs instead of Node's http client's per-chunk
 * parsing and streams (about three times the CPU per byte: bench/sandbox.ts).
 *
 * Connections are kept per address and port for the next request, as Node's agent kept them, and
 * reused only after a response that was framed exactly, with the request fully sent; a kept
 * connection the server closed meanwhile is retried once on a new one when nothing was sent that
 * could have had an effect (a request without a body).
 */

export interface ForwardTarget {
  /** The address the allowlist decision approved: connected to as is, never resolved again. */
  address: string;
  port: number;
  /** The Host header (the URL's host and port as the client wrote it). */
  host: string;
  /** Path and query. */
  path: string;
}

export interface PlainHttpForwarder {
  /** Sends `req` to `target` and its answer back through `res`; answers 502 when that fails. */
  forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget): void;
  /** Ends every connection, in use or kept. */
  close(): void;
}

/** A kept connection is closed after this long unused (servers commonly close theirs at 5 s). */
const IDLE_MS = 4_000;
const MAX_IDLE_PER_DESTINATION = 4;
const MAX_IDLE = 32;
const CONNECT_TIMEOUT_MS = 30_000;

/** Request headers the proxy sets itself: Host, the body's framing, and Expect (already answered). */
const SET_HERE = ['host', 'content-length', 'transfer-encoding', 'expect'];

interface Exchange {
  /** A chunk the connection read: returns false to pause reading until the client drains. */
  bytes(chunk: Buffer, written: (() => void) | undefined): boolean;
  ended(): void;
  failed(error: Error): void;
  drain(resume: () => void): void;
}

interface Connection {
  readonly socket: Socket;
  readonly key: string;
  exchange: Exchange | undefined;
  /** Body writes to a client not yet completed: the read buffer they point into is still in use. */
  outstanding: number;
  /** Whether it has carried an exchange before (a kept connection the server may have closed). */
  used: boolean;
  idleTimer?: NodeJS.Timeout;
}

export function createPlainHttpForwarder(): PlainHttpForwarder {
  const idle = new Map<string, Connection[]>();
  const all = new Set<Connection>();
  let idleCount = 0;

  const unkeep = (conn: Connection) => {
    const list = idle.get(conn.key);
    const i = list?.indexOf(conn) ?? -1;
    if (i < 0) return;
    list!.splice(i, 1);
    if (!list!.length) idle.delete(conn.key);
    idleCount--;
    clearTimeout(conn.idleTimer);
  };

  const open = (address: string, port: number, key: string): Connection => {
    // The callbacks run on reads, after `conn` below exists.
    const into = readInto({
      write: (chunk, written) => {
        if (conn.exchange) return conn.exchange.bytes(chunk, written);
        // Bytes while no request is outstanding: the connection is out of step, never reused.
        conn.socket.destroy();
        written?.();
        return true;
      },
      behind: () => conn.outstanding > 0,
      onDrain: (resume) => (conn.exchange ? conn.exchange.drain(resume) : resume()),
    });
    const socket = connect({ host: address, port, onread: into, noDelay: true });
    const conn: Connection = { socket, key, exchange: undefined, outstanding: 0, used: false };
    into.attach(socket);
    all.add(conn);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error('connect timeout')));
    socket.once('connect', () => socket.setTimeout(0));
    socket.on('end', () => conn.exchange?.ended());
    socket.on('error', (error) => conn.exchange?.failed(error));
    socket.on('close', () => {
      all.delete(conn);
      unkeep(conn);
      conn.exchange?.failed(new Error('the server closed the connection'));
    });
    return conn;
  };

  const take = (address: string, port: number, fresh: boolean): Connection => {
    const key = `${address} ${port}`;
    for (let conn = fresh ? undefined : idle.get(key)?.at(-1); conn; conn = idle.get(key)?.at(-1)) {
      unkeep(conn);
      if (!conn.socket.destroyed && conn.socket.readyState === 'open') return conn;
      conn.socket.destroy();
    }
    return open(address, port, key);
  };

  const keep = (conn: Connection) => {
    conn.exchange = undefined;
    const list = idle.get(conn.key) ?? [];
    if (conn.socket.destroyed || list.length >= MAX_IDLE_PER_DESTINATION || idleCount >= MAX_IDLE) {
      conn.socket.destroy();
      return;
    }
    list.push(conn);
    idle.set(conn.key, list);
    idleCount++;
    conn.idleTimer = setTimeout(() => conn.socket.destroy(), IDLE_MS);
    conn.idleTimer.unref();
  };

  const forward = (req: IncomingMessage, res: ServerResponse, target: ForwardTarget, retried = false): void => {
    const method = req.method ?? 'GET';
    const chunked = req.headers['transfer-encoding'] !== undefined;
    const length = req.headers['content-length'];
    const hasBody = chunked || (length !== undefined && length !== '0');
    const conn = take(target.address, target.port, retried);
    const reused = conn.used;
    conn.used = true;
    let requestSent = !hasBody;
    let settled = false;
    let headSent = false;

    const onSocketDrain = () => req.resume();
    const onData = (data: Buffer) => {
      let ok: boolean;
      if (chunked) {
        conn.socket.cork();
        conn.socket.write(`${data.length.toString(16)}\r\n`);
        conn.socket.write(data);
        ok = conn.socket.write('\r\n');
        conn.socket.uncork();
      } else ok = conn.socket.write(data);
      if (!ok) req.pause();
    };
    const onEnd = () => {
      if (chunked) conn.socket.write('0\r\n\r\n');
      requestSent = true;
      stopSending();
    };
    const stopSending = () => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      conn.socket.removeListener('drain', onSocketDrain);
    };
    const settle = () => {
      settled = true;
      stopSending();
      res.removeListener('close', onClientGone);
    };
    /** The connection is not to carry another request. */
    const discard = () => {
      conn.exchange = undefined;
      conn.socket.destroy();
    };
    const fail = (error: Error) => {
      if (settled) return;
      settle();
      discard();
      // A kept connection the server had closed: nothing reached it, so try once on a new one.
      if (reused && !retried && !hasBody && reader.untouched && !res.destroyed) return forward(req, res, target, true);
      if (headSent || res.headersSent) res.destroy();
      else {
        const why = error instanceof HttpFramingError ? `malformed answer: ${error.message}` : error.message;
        res
          .writeHead(502, { 'content-type': 'text/plain', connection: 'close' })
          .end(`coSPEC egress: cannot reach ${target.host}: ${why}\n`);
      }
    };
    const onClientGone = () => {
      if (settled) return;
      settle();
      discard();
    };

    const reader = new ResponseReader(method, {
      head: (head, framing) => {
        res.sendDate = false;
        try {
          const reason = head.reason;
          res.writeHead(head.status, ...(reason ? [reason] : []), clientHeaders(head, framing));
        } catch (error) {
          // Node refuses to write some header the server sent (an invalid character or name).
          throw new HttpFramingError((error as Error).message);
        }
        headSent = true;
      },
      body: (piece) => sink(piece),
      end: (reusable) => {
        settle();
        res.end();
        if (reusable && requestSent && !res.destroyed) keep(conn);
        else discard();
      },
    });

    // Per chunk read: each body slice written to the client holds the chunk until its write is done.
    let sink: (piece: Buffer) => void = () => undefined;
    conn.exchange = {
      bytes: (chunk, written) => {
        let waiting = 1;
        let ok = true;
        const one = () => {
          if (--waiting === 0) written?.();
        };
        const done = () => {
          conn.outstanding--;
          one();
        };
        sink = (piece) => {
          waiting++;
          conn.outstanding++;
          if (!res.write(piece, done)) ok = false;
        };
        try {
          reader.feed(chunk);
        } catch (error) {
          fail(error as Error);
        }
        one();
        // A finished response's queued bytes must not hold the connection back for the next one.
        return ok || settled;
      },
      ended: () => {
        try {
          reader.finish();
        } catch (error) {
          fail(error as Error);
        }
      },
      failed: fail,
      drain: (resume) => void res.once('drain', resume),
    };
    res.once('close', onClientGone);

    // The request: its head, then its body as the client frames it (Node has decoded any chunking).
    const dropped = hopByHopNames(req.headers.connection);
    for (const name of SET_HERE) dropped.add(name);
    let head = `${method} ${target.path} HTTP/1.1\r\nHost: ${target.host}\r\n`;
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (!dropped.has(req.rawHeaders[i]!.toLowerCase())) head += `${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`;
    }
    if (chunked) head += 'Transfer-Encoding: chunked\r\n';
    else if (length !== undefined) head += `Content-Length: ${length}\r\n`;
    conn.socket.write(head + '\r\n');

    if (hasBody) {
      conn.socket.on('drain', onSocketDrain);
      req.on('data', onData);
      req.once('end', onEnd);
    } else req.resume();
  };

  return {
    forward: (req, res, target) => forward(req, res, target),
    close() {
      for (const conn of all) conn.socket.destroy();
    },
  };
}

/** The answer's headers for the client: without hop-by-hop ones or the server's own framing. */
function clientHeaders(head: ResponseHead, framing: BodyFraming): string[] {
  const dropped = hopByHopNames(headerList(head.rawHeaders, 'connection'));
  // Node frames the body for the client: by one plain length when there is one (a repeated list
  // such as "2, 2" is the same length, and some parsers refuse it), otherwise chunked or to the
  // connection's end. An answer without a body (HEAD's) keeps the length it describes.
  dropped.add('content-length');
  const lengths = new Set(headerList(head.rawHeaders, 'content-length'));
  const [only] = lengths;
  const length =
    framing.kind === 'length'
      ? String(framing.length)
      : framing.kind === 'none' && lengths.size === 1 && /^\d{1,15}$/.test(only!)
        ? only
        : undefined;
  const out: string[] = [];
  for (let i = 0; i < head.rawHeaders.length; i += 2)
    if (!dropped.has(head.rawHeaders[i]!.toLowerCase())) out.push(head.rawHeaders[i]!, head.rawHeaders[i + 1]!);
  if (length !== undefined) out.push('Content-Length', length);
  return out;
}
