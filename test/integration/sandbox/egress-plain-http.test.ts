import { createHash, randomBytes } from 'node:crypto';
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
} from 'node:http';
import { createConnection, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEgressProxy, type EgressProxy } from '../../../src-main/services/sandbox';

/**
 * Plain-http requests through the egress proxy (absolute URIs, what tools send for http:// URLs
 * through HTTP_PROXY), over real sockets on loopback: the proxy reads answers with its own framing
 * (http-forward.ts, http-response-reader.ts), so these check that what reaches the client is what
 * the server sent, in its framing's sense, that a malformed or smuggled answer never reaches the
 * next request, that kept connections are reused only when that is safe, and that nothing of the
 * run's (its proxy credentials, hop-by-hop headers) reaches the server.
 */

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CREDENTIALS = { username: 'run', password: 'proxy-secret-0123456789' };
const PROXY_AUTH = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`;

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  /** Set when the answer was cut off (the client saw the body end early or the socket fail). */
  aborted?: string;
}

/** What the Node upstream saw: one entry per request. */
interface Seen {
  connection: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  bodySha: string;
  bodyLength: number;
}

let proxy: EgressProxy;
let proxyPort: number;
let nodeUpstream: Server;
let nodePort: number;
let rawPort: number;
const seen: Seen[] = [];
const nodeConnections: Socket[] = [];
const closedNodeConnections = new Set<number>();
/** The raw upstream's connections, their requests' first lines, and whether each closed. */
const raw = { connections: 0, requests: [] as Array<{ connection: number; line: string }>, closed: new Set<number>() };
const big = randomBytes(32 << 20);

/** Answers scripted per path, written in pieces (pieces may split anything, CRLFs included). */
const SCRIPTS: Record<string, string[]> = {
  '/chunked': [
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Kind: chunked\r\n',
    '\r\n5;ext="a b"\r',
    '\nhello\r\n1',
    '\r\n \r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r',
    '\n0\r\nX-Trailer: dropped\r\n\r\n',
  ],
  '/to-close': ['HTTP/1.1 200 OK\r\nX-Kind: close\r\n\r\nall of ', 'it, until the end'],
  '/conflicting': ['HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nevil!'],
  '/bare-lf': ['HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 4\r\n\r\nevil'],
  '/folded': ['HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 4\r\n\r\nevil'],
  '/upgrade': ['HTTP/1.1 101 Switching Protocols\r\nUpgrade: evil\r\nConnection: upgrade\r\n\r\nevil'],
  '/nul': ['HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 4\r\n\r\nevil'],
  '/huge-head': [`HTTP/1.1 200 OK\r\n${`X-Pad: ${'p'.repeat(1000)}\r\n`.repeat(70)}Content-Length: 4\r\n\r\nevil`],
  '/bad-chunk': ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfine\r\nzz\r\nevil\r\n0\r\n\r\n'],
  '/cut-short': ['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this'],
  '/split': ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nevil'],
  '/interim': ['HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
  '/ok': ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
  '/repeated-length': ['HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok'],
  '/ok-then-hang-up': ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'],
};
/** Paths whose connection closes after the answer is written (no framing to keep it by). */
const CLOSE_AFTER = new Set(['/to-close', '/cut-short']);

beforeAll(async () => {
  let connectionId = 0;
  nodeUpstream = createServer((req, res) => {
    const connection = (req.socket as Socket & { id?: number }).id!;
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      seen.push({
        connection,
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodySha: sha(body),
        bodyLength: body.length,
      });
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/big') {
        res.writeHead(200, { 'content-length': String(big.length), 'x-sha': sha(big) });
        return void res.end(big);
      }
      if (url.pathname === '/slow') {
        // Never finishes: a client leaving early must free this connection.
        res.writeHead(200, { 'content-length': String(1 << 30) });
        res.write(randomBytes(1 << 16));
        return;
      }
      if (url.pathname === '/closes') return void res.writeHead(200, { connection: 'close' }).end('closing');
      if (url.pathname === '/hop') {
        res.writeHead(200, [
          'Connection',
          'X-Hop-Back',
          'X-Hop-Back',
          'must not pass',
          'Keep-Alive',
          'timeout=99',
          'Proxy-Authenticate',
          'Basic realm="upstream"',
          'Set-Cookie',
          'a=1',
          'Set-Cookie',
          'b=2',
          'X-End',
          'kept',
        ]);
        return void res.end('hop');
      }
      res.setHeader('x-upstream-connection', String(connection));
      res.end(`${req.method} ${req.url} ${body.length}`);
    });
  });
  nodeUpstream.on('connection', (socket: Socket & { id?: number }) => {
    socket.id = ++connectionId;
    nodeConnections.push(socket);
    socket.on('close', () => closedNodeConnections.add(socket.id!));
  });
  await new Promise<void>((resolve) => nodeUpstream.listen(0, '127.0.0.1', resolve));
  nodePort = (nodeUpstream.address() as AddressInfo).port;

  const rawServer = createNetServer((socket) => {
    const id = ++raw.connections;
    let answered = 0;
    let pending = '';
    socket.on('close', () => raw.closed.add(id));
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      pending += d.toString('latin1');
      // Bodiless requests only: each head is one request.
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        const line = pending.slice(0, pending.indexOf('\r\n'));
        pending = pending.slice(end + 4);
        raw.requests.push({ connection: id, line });
        const path = line.split(' ')[1]!.split('?')[0]!;
        // A kept connection's next request arrives after the server decided to hang up.
        if (answered++ && SCRIPTS_AFTER_FIRST_HANG_UP.has(id)) return void socket.destroy();
        if (path === '/ok-then-hang-up') SCRIPTS_AFTER_FIRST_HANG_UP.add(id);
        const pieces = SCRIPTS[path] ?? ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'];
        void (async () => {
          for (const piece of pieces) {
            socket.write(Buffer.from(piece, 'latin1'));
            await new Promise((r) => setTimeout(r, 5));
          }
          if (CLOSE_AFTER.has(path)) socket.end();
        })();
      }
    });
  });
  await new Promise<void>((resolve) => rawServer.listen(0, '127.0.0.1', resolve));
  rawPort = (rawServer.address() as AddressInfo).port;
  servers.push(rawServer);

  proxy = await startEgressProxy({
    allowlist: [`mirror.test:${nodePort}`, `mirror.test:${rawPort}`],
    mayReachPrivate: () => true,
    credentials: CREDENTIALS,
    lookup: async () => [{ address: '127.0.0.1', family: 4 }],
  });
  proxyPort = Number(new URL(proxy.address).port);
});

const SCRIPTS_AFTER_FIRST_HANG_UP = new Set<number>();
const servers: Array<{ close(): void }> = [];

afterAll(async () => {
  await proxy?.close();
  nodeUpstream?.close();
  for (const s of servers) s.close();
});

/** One request through the proxy on a fresh client connection; `slow` reads the answer in small steps. */
function viaProxy(
  url: string,
  options: {
    method?: string;
    headers?: OutgoingHttpHeaders;
    body?: Buffer;
    chunked?: boolean;
    slow?: boolean;
    /** Send `Expect: 100-continue` and the body only once the proxy says to go on. */
    expectContinue?: boolean;
  } = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        method: options.method ?? 'GET',
        path: url,
        headers: { host: new URL(url).host, 'proxy-authorization': PROXY_AUTH, ...options.headers },
        agent: false,
      },
      (res: IncomingMessage) => {
        const parts: Buffer[] = [];
        let n = 0;
        res.on('data', (d: Buffer) => {
          parts.push(d);
          if (options.slow && ++n % 16 === 0) {
            res.pause();
            setTimeout(() => res.resume(), 2);
          }
        });
        const done = (aborted?: string) =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(parts),
            ...(aborted ? { aborted } : {}),
          });
        res.on('end', () => done(res.complete ? undefined : 'incomplete'));
        res.on('error', (e) => done(e.message));
        res.on('aborted', () => done('aborted'));
      },
    );
    // A connection that fails before any answer: an answer cut off before it began.
    req.on('error', (e) =>
      resolve({ status: 0, headers: {}, rawHeaders: [], body: Buffer.alloc(0), aborted: e.message }),
    );
    if (options.expectContinue) {
      req.setHeader('expect', '100-continue');
      req.setHeader('content-length', options.body!.length);
      req.flushHeaders();
      req.on('continue', () => req.end(options.body));
    } else if (options.body && options.chunked) {
      // Several writes without a length: Node sends them chunked.
      for (let at = 0; at < options.body.length; at += 100_000) req.write(options.body.subarray(at, at + 100_000));
      req.end();
    } else req.end(options.body);
  });
}

/** The raw upstream's connection that carried the (last) request for `path`. */
const connectionOf = (path: string) => raw.requests.filter((r) => r.line === `GET ${path} HTTP/1.1`).at(-1)?.connection;
const node = (path: string) => `http://mirror.test:${nodePort}${path}`;
const rawUrl = (path: string) => `http://mirror.test:${rawPort}${path}`;

describe('plain-http requests through the egress proxy', () => {
  it('hands a 32 MB download intact to a slow reader, with the length the server gave', async () => {
    const r = await viaProxy(node('/big'), { slow: true });
    expect(r.status).toBe(200);
    expect(r.aborted).toBeUndefined();
    expect(r.headers['content-length']).toBe(String(big.length));
    expect(sha(r.body)).toBe(r.headers['x-sha']);
  });

  it('re-frames a chunked answer that arrives in pieces split anywhere, dropping its trailers', async () => {
    const r = await viaProxy(rawUrl('/chunked'));
    expect(r.status).toBe(200);
    expect(r.headers['x-kind']).toBe('chunked');
    expect(r.body.toString()).toBe('hello abcdefghijklmnopqrstuvwxyz');
    expect(r.aborted).toBeUndefined();
    expect(r.rawHeaders.join(' ')).not.toMatch(/x-trailer/i);
  });

  it('passes a body that runs to the connection’s end whole, and never reuses that connection', async () => {
    const r = await viaProxy(rawUrl('/to-close'));
    expect(r.body.toString()).toBe('all of it, until the end');
    expect(r.aborted).toBeUndefined();
    const next = await viaProxy(rawUrl('/ok?after-close'));
    expect(next.body.toString()).toBe('ok');
    expect(connectionOf('/to-close')).not.toBe(connectionOf('/ok?after-close'));
  });

  it('gives the client one plain length where the server repeated it', async () => {
    const r = await viaProxy(rawUrl('/repeated-length'));
    expect([r.status, r.body.toString(), r.aborted]).toEqual([200, 'ok', undefined]);
    expect(r.rawHeaders.filter((h) => h.toLowerCase() === 'content-length')).toHaveLength(1);
    expect(r.headers['content-length']).toBe('2');
  });

  it('skips interim answers, and answers HEAD with the length but no body', async () => {
    const r = await viaProxy(rawUrl('/interim'));
    expect([r.status, r.body.toString()]).toEqual([200, 'ok']);
    const head = await viaProxy(node('/big'), { method: 'HEAD' });
    expect(head.headers['content-length']).toBe(String(big.length));
    expect(head.body.length).toBe(0);
  });

  it('keeps the upstream connection for the next request, from another client too, unless the server closes it', async () => {
    const first = await viaProxy(node('/a'));
    const second = await viaProxy(node('/b'));
    const third = await viaProxy(node('/c'), { method: 'HEAD' });
    const fourth = await viaProxy(node('/d'));
    const used = [first, second, fourth].map((r) => r.headers['x-upstream-connection']);
    expect(new Set(used).size).toBe(1);
    expect(third.headers['x-upstream-connection']).toBe(used[0]);
    await viaProxy(node('/closes?1'));
    await viaProxy(node('/closes?2'));
    const after = await viaProxy(node('/e'));
    const [a, b] = [seen.find((x) => x.url === '/closes?1')!, seen.find((x) => x.url === '/closes?2')!];
    expect(new Set([a.connection, b.connection, Number(after.headers['x-upstream-connection'])]).size).toBe(3);
  });

  it('retries a request without a body once when its kept connection was closed, and never sends a body twice', async () => {
    // The server answers, keeps the connection, then hangs up on the next request without answering.
    expect((await viaProxy(rawUrl('/ok-then-hang-up'))).body.toString()).toBe('ok');
    const again = await viaProxy(rawUrl('/ok?again'));
    expect([again.status, again.body.toString()]).toEqual([200, 'ok']);
    // Sent on the kept connection, which the server hung up on, then once more on a new one.
    const sent = raw.requests.filter((r) => r.line === 'GET /ok?again HTTP/1.1');
    expect(sent.length).toBe(2);
    expect(sent[0]!.connection).toBe(connectionOf('/ok-then-hang-up'));

    expect((await viaProxy(rawUrl('/ok-then-hang-up'))).body.toString()).toBe('ok');
    const posts = raw.requests.filter((r) => r.line.startsWith('POST')).length;
    const post = await viaProxy(rawUrl('/ok'), { method: 'POST', body: Buffer.from('make it so') });
    expect(post.status).toBe(502);
    expect(post.body.toString()).toContain('cannot reach');
    expect(raw.requests.filter((r) => r.line.startsWith('POST')).length).toBe(posts + 1);
  });

  it('sends request bodies intact with the client’s framing, a length or chunks', async () => {
    const body = randomBytes(3 << 20);
    const withLength = await viaProxy(node('/upload?length'), { method: 'POST', body });
    expect(withLength.body.toString()).toBe(`POST /upload?length ${body.length}`);
    const chunked = await viaProxy(node('/upload?chunked'), { method: 'PUT', body, chunked: true });
    expect(chunked.body.toString()).toBe(`PUT /upload?chunked ${body.length}`);
    const [a, b] = [seen.find((s) => s.url === '/upload?length')!, seen.find((s) => s.url === '/upload?chunked')!];
    expect([a.bodySha, b.bodySha]).toEqual([sha(body), sha(body)]);
    expect(a.headers['content-length']).toBe(String(body.length));
    expect(a.headers['transfer-encoding']).toBeUndefined();
    expect(b.headers['transfer-encoding']).toBe('chunked');
    expect(b.headers['content-length']).toBeUndefined();
    // A kept connection carried on after both.
    const after = await viaProxy(node('/after-upload'));
    expect(after.status).toBe(200);
  });

  it('lets a client that waits for 100 Continue send its body, and does not pass the wait on', async () => {
    const body = randomBytes(1 << 20);
    const r = await viaProxy(node('/upload?expect'), { method: 'POST', body, expectContinue: true });
    expect(r.body.toString()).toBe(`POST /upload?expect ${body.length}`);
    const s = seen.find((x) => x.url === '/upload?expect')!;
    expect(s.bodySha).toBe(sha(body));
    expect(s.headers.expect).toBeUndefined();
  });

  it('answers requests a client pipelines on one connection in order, each with its own answer', async () => {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection({ host: '127.0.0.1', port: proxyPort }, () => resolve(s));
      s.on('error', reject);
    });
    const ask = (path: string) =>
      `GET ${node(path)} HTTP/1.1\r\nHost: mirror.test\r\nProxy-Authorization: ${PROXY_AUTH}\r\n\r\n`;
    socket.write(ask('/big') + ask('/pipelined-second') + ask('/pipelined-third'));
    const parts: Buffer[] = [];
    let got = 0;
    socket.on('data', (d: Buffer) => {
      parts.push(d);
      got += d.length;
    });
    // Three answers: the 32 MB one first, then the two short ones.
    await expect
      .poll(() => got > big.length && /pipelined-third/.test(Buffer.concat(parts).subarray(-300).toString('latin1')), {
        timeout: 20_000,
      })
      .toBe(true);
    socket.destroy();
    const all = Buffer.concat(parts);
    const firstHead = all.indexOf('\r\n\r\n') + 4;
    expect(all.subarray(0, firstHead).toString('latin1').toLowerCase()).toContain(`content-length: ${big.length}`);
    expect(sha(all.subarray(firstHead, firstHead + big.length))).toBe(sha(big));
    const rest = all.subarray(firstHead + big.length).toString('latin1');
    expect(rest).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nGET \/pipelined-second 0HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nGET \/pipelined-third 0$/,
    );
  });

  it('never passes the run’s proxy credentials or hop-by-hop headers to the server, nor takes its Host from the client', async () => {
    await viaProxy(node('/hop-check'), {
      headers: {
        host: 'elsewhere.test',
        connection: 'keep-alive, X-Hop',
        'x-hop': 'must not pass',
        'keep-alive': 'timeout=1',
        te: 'trailers',
        'proxy-connection': 'keep-alive',
        'x-end': 'passes',
      },
    });
    const s = seen.find((x) => x.url === '/hop-check')!;
    expect(s.headers.host).toBe(`mirror.test:${nodePort}`);
    expect(s.headers['x-end']).toBe('passes');
    for (const name of ['proxy-authorization', 'x-hop', 'keep-alive', 'te', 'proxy-connection'])
      expect(s.headers[name], name).toBeUndefined();
    expect(s.rawHeaders.join('\n')).not.toContain(CREDENTIALS.password);
    expect(s.rawHeaders.join('\n')).not.toContain(Buffer.from(CREDENTIALS.password).toString('base64').slice(0, 12));

    const back = await viaProxy(node('/hop'));
    expect(back.headers['x-hop-back']).toBeUndefined();
    expect(back.headers['proxy-authenticate']).toBeUndefined();
    expect(back.headers['keep-alive']).not.toBe('timeout=99');
    expect(back.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(back.headers['x-end']).toBe('kept');
  });

  it.each([
    ['conflicting lengths', '/conflicting', /conflicting Content-Length/],
    ['a bare LF', '/bare-lf', /bare CR or LF/],
    ['a folded header', '/folded', /folded/],
    ['a protocol upgrade', '/upgrade', /upgrade/],
    ['a control character in a header', '/nul', /control character/],
    ['a head over the limit', '/huge-head', /head too large/],
  ])('answers 502 for %s, and nothing of the answer reaches the client', async (_what, path, why) => {
    // A kept connection first: the malformed answer arrives on it, as it would from a busy mirror.
    await viaProxy(rawUrl('/ok'));
    const r = await viaProxy(rawUrl(path));
    expect(r.status).toBe(502);
    expect(r.body.toString()).toMatch(why);
    // Asked once: an answer, even a malformed one, is never a reason to send the request again.
    expect(raw.requests.filter((q) => q.line === `GET ${path} HTTP/1.1`)).toHaveLength(1);
    expect(r.body.toString()).not.toContain('evil');
    expect(r.rawHeaders.join(' ')).not.toMatch(/X-Pad|X-A|Upgrade: evil/);
  });

  it('cuts the client’s answer off when the body breaks after the head, instead of ending it cleanly', async () => {
    // The client may see the head and part of the body first, or only a connection that fails.
    const badChunk = await viaProxy(rawUrl('/bad-chunk'));
    expect(badChunk.aborted).toBeDefined();
    expect(badChunk.body.toString()).not.toContain('evil');
    const cut = await viaProxy(rawUrl('/cut-short'));
    expect(cut.aborted).toBeDefined();
    expect(cut.body.toString()).toBe('only this');
  });

  it('never hands an answer smuggled behind the first to the next request', async () => {
    const first = await viaProxy(rawUrl('/split'));
    expect(first.body.toString()).toBe('x');
    const next = await viaProxy(rawUrl('/ok?after-split'));
    expect(next.body.toString()).toBe('ok');
    // The connection that carried the extra answer was not kept.
    expect(connectionOf('/ok?after-split')).not.toBe(connectionOf('/split'));
  });

  it('frees the upstream connection when the client leaves mid-download', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: proxyPort,
          path: node('/slow'),
          headers: { 'proxy-authorization': PROXY_AUTH },
          agent: false,
        },
        (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        },
      );
      req.on('error', () => undefined);
      req.on('timeout', reject);
      req.end();
    });
    const id = seen.find((x) => x.url === '/slow')?.connection;
    expect(id).toBeDefined();
    await expect.poll(() => closedNodeConnections.has(id!), { timeout: 5000 }).toBe(true);
  });

  it('answers 502 naming the destination when the server cannot be reached', async () => {
    const dead = await startEgressProxy({
      allowlist: ['127.0.0.1:9'],
      mayReachPrivate: () => true,
    });
    try {
      const port = Number(new URL(dead.address).port);
      const r = await new Promise<Answer>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: 'http://127.0.0.1:9/', agent: false }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              headers: res.headers,
              rawHeaders: res.rawHeaders,
              body: Buffer.concat(parts),
            }),
          );
        });
        req.on('error', reject);
        req.end();
      });
      expect(r.status).toBe(502);
      expect(r.body.toString()).toMatch(/cannot reach 127\.0\.0\.1:9: .*ECONNREFUSED/);
    } finally {
      await dead.close();
    }
  });

  it('ends the connections it keeps when the run’s proxy closes', async () => {
    const own = await startEgressProxy({
      allowlist: [`127.0.0.1:${nodePort}`],
      mayReachPrivate: () => true,
    });
    const port = Number(new URL(own.address).port);
    const r = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: `http://127.0.0.1:${nodePort}/kept-until-close`, agent: false },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    r.resume();
    await new Promise((resolve) => r.on('end', resolve));
    const id = Number(r.headers['x-upstream-connection']);
    // Kept after the answer…
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closedNodeConnections.has(id)).toBe(false);
    // …and ended with the proxy.
    await own.close();
    await expect.poll(() => closedNodeConnections.has(id), { timeout: 5000 }).toBe(true);
  });
});
