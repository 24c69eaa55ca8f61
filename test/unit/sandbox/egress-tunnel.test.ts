import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { serveEgressTunnel, type EgressTunnel } from '../../../src-main/services/sandbox/egress-tunnel';
import { connectWhenListening, freePort, readAll, sha } from '../../support/local-sockets';

/**
 * Both ends of the egress tunnel (tunnel shape, for remote engines) without a container: the relay
 * script resources/sandbox/tunnel.pl runs under this machine's perl with its stdio piped to the
 * app's end, as the engine's exec stream would carry it. The "proxy" is a unix socket server.
 */

const SCRIPT = join(__dirname, '../../../resources/sandbox/tunnel.pl');

describe('the egress tunnel (tunnel.pl ⇄ serveEgressTunnel)', () => {
  let dir: string;
  let proxyPath: string;
  let proxy: Server;
  let relay: ChildProcessWithoutNullStreams;
  let tunnel: EgressTunnel;
  let port: number;
  let onProxyConnection: (s: Socket) => void;
  let stderr = '';

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cospec-tunnel-'));
    proxyPath = join(dir, 'proxy.sock');
    proxy = createServer({ allowHalfOpen: true }, (s) => onProxyConnection(s));
    await new Promise<void>((resolve) => proxy.listen(proxyPath, resolve));
    port = await freePort();
    relay = spawn('perl', [SCRIPT, '127.0.0.1', String(port)]);
    relay.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const ended = new Promise<void>((resolve) => relay.stdout.once('close', () => resolve()));
    // Writes to a relay that already exited fail with EPIPE: expected once a test has stopped it.
    tunnel = serveEgressTunnel(
      { stdin: relay.stdin, stdout: relay.stdout, ended, close: () => relay.kill() },
      proxyPath,
      () => undefined,
    );
  });

  afterEach(async () => {
    tunnel.close();
    proxy.close();
    await rm(dir, { recursive: true, force: true });
    expect(stderr).toBe('');
  });

  it('carries a request and its answer, with half-close both ways', async () => {
    onProxyConnection = (s) => {
      void readAll(s).then((req) => s.end(`got ${req.length} bytes: ${req.toString()}`));
    };
    const client = await connectWhenListening(port);
    const answer = readAll(client);
    client.end('CONNECT allowed.test:443 HTTP/1.1\r\n\r\n');
    expect((await answer).toString()).toBe('got 37 bytes: CONNECT allowed.test:443 HTTP/1.1\r\n\r\n');
    expect(tunnel.opened).toBe(1);
  });

  it('carries a client that connects and only speaks later', async () => {
    onProxyConnection = (s) => {
      void readAll(s).then((req) => s.end(`got ${req.toString()}`));
    };
    const client = await connectWhenListening(port);
    const answer = readAll(client);
    await new Promise((resolve) => setTimeout(resolve, 300));
    client.end('GET http://allowed.test/ HTTP/1.1\r\n\r\n');
    expect((await answer).toString()).toBe('got GET http://allowed.test/ HTTP/1.1\r\n\r\n');
  });

  it('moves 24 MB each way intact while the client reads slowly', async () => {
    const down = randomBytes(24 << 20);
    const up = randomBytes(24 << 20);
    let received: Promise<Buffer<ArrayBufferLike>> = Promise.resolve(Buffer.alloc(0));
    onProxyConnection = (s) => {
      received = readAll(s);
      s.end(down);
    };
    const client = await connectWhenListening(port);
    const chunks: Buffer[] = [];
    // Read in bursts with pauses, as a busy agent would.
    client.on('data', (c: Buffer) => {
      chunks.push(c);
      client.pause();
      setTimeout(() => client.resume(), 1);
    });
    const done = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.end(up);
    await done;
    expect(sha(Buffer.concat(chunks))).toBe(sha(down));
    expect(sha(await received)).toBe(sha(up));
  });

  it('holds the proxy back while the client does not read (the window), instead of buffering everything in the relay', async () => {
    const size = 64 << 20;
    const chunk = randomBytes(64 << 10);
    let accepted = 0;
    onProxyConnection = (s) => {
      s.on('error', () => undefined);
      // Write as a well-behaved server does: only while the socket takes more.
      const pump = () => {
        while (accepted < size) {
          accepted += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
      };
      pump();
    };
    const client = await connectWhenListening(port);
    client.on('error', () => undefined);
    client.pause();
    client.write('GET /big');
    // Wait until the data stops moving.
    let last = -1;
    while (accepted !== last) {
      last = accepted;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    // In flight at most: the kernel's socket buffers on the way (a few MB on loopback) and one window in the relay.
    expect(accepted).toBeLessThan(24 << 20);
    client.destroy();
  });

  it('keeps many connections apart', async () => {
    onProxyConnection = (s) => {
      void readAll(s).then((req) => s.end(Buffer.concat([Buffer.from('echo:'), req])));
    };
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const client = await connectWhenListening(port);
        const answer = readAll(client);
        const body = randomBytes(1000 + i * 3000);
        client.end(body);
        return { body, answer: await answer };
      }),
    );
    for (const { body, answer } of results)
      expect(answer.equals(Buffer.concat([Buffer.from('echo:'), body]))).toBe(true);
    expect(tunnel.opened).toBe(40);
  });

  it('closes the client once the proxy drops the connection, after delivering what it sent', async () => {
    onProxyConnection = (s) => {
      s.once('data', () => {
        s.write('last words');
        s.destroy();
      });
    };
    const client = await connectWhenListening(port);
    const answer = readAll(client);
    client.write('hello');
    expect((await answer).toString()).toBe('last words');
  });

  it('ends the proxy side when the client resets its connection', async () => {
    const proxyClosed = new Promise<void>((resolve) => {
      onProxyConnection = (s) => {
        s.on('error', () => undefined);
        s.resume();
        s.once('end', () => resolve());
      };
    });
    const client = await connectWhenListening(port);
    client.write('x');
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.resetAndDestroy();
    await proxyClosed;
  });

  it('ends every connection when the app side goes away', async () => {
    onProxyConnection = () => undefined;
    const client = await connectWhenListening(port);
    const ended = readAll(client).catch(() => Buffer.alloc(0));
    client.write('waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
    relay.stdin.end();
    await ended;
    await new Promise<void>((resolve) => (relay.exitCode !== null ? resolve() : relay.once('exit', () => resolve())));
    expect(relay.exitCode).toBe(0);
  });
});
