import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  POOL_MAX,
  READ_BUFFER_MAX,
  READ_BUFFER_MIN,
  pooledBuffers,
  readInto,
  streamTarget,
  type ReadIntoTarget,
} from '../../../src-main/services/sandbox/read-into';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const servers: Server[] = [];

afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function listen(onConnection: (s: Socket) => void): Promise<number> {
  const server = createServer(onConnection);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('readInto', () => {
  it('passes 32 MB intact from a fast source to a slow reader, holding the source back', async () => {
    const body = randomBytes(32 << 20);
    const source = await listen((s) => s.end(body));
    // The "client": a socket pair through a second server; its far end reads slowly.
    let far!: Socket;
    const farReady = new Promise<void>((resolve) => {
      void listen((s) => {
        far = s;
        resolve();
      }).then((port) => {
        const near = connect({ host: '127.0.0.1', port });
        near.once('connect', () => {
          const into = readInto(streamTarget(near));
          const upstream = connect({ host: '127.0.0.1', port: source, onread: into });
          into.attach(upstream);
          upstream.on('end', () => near.end());
          maxQueued = () => near.writableLength;
        });
      });
    });
    let maxQueued = () => 0;
    let peak = 0;
    await farReady;
    const chunks: Buffer[] = [];
    let n = 0;
    far.on('data', (c: Buffer) => {
      chunks.push(c);
      peak = Math.max(peak, maxQueued());
      if (++n % 8 === 0) {
        far.pause();
        setTimeout(() => far.resume(), 2);
      }
    });
    await new Promise((resolve) => far.once('end', resolve));
    expect(sha(Buffer.concat(chunks))).toBe(sha(body));
    // Backpressure: never more than about one read buffer queued in the process.
    expect(peak).toBeLessThanOrEqual(2 * READ_BUFFER_MAX);
  }, 60_000);

  it('copies a small chunk out when the target is behind, and never reuses a buffer a queued write holds', () => {
    const written: Buffer[] = [];
    let behind = false;
    const target: ReadIntoTarget = {
      write: (chunk) => {
        written.push(chunk);
        return true;
      },
      behind: () => behind,
      onDrain: () => undefined,
    };
    const into = readInto(target);
    const bufferOf = () => (typeof into.buffer === 'function' ? into.buffer() : into.buffer);
    // Caught up: the chunk is a view of the read buffer, and the buffer is reused.
    const first = bufferOf();
    expect(first.length).toBe(READ_BUFFER_MIN);
    first.fill(1, 0, 10);
    into.callback(10, first);
    expect(written[0]!.buffer).toBe(first.buffer);
    expect(bufferOf()).toBe(first);
    // Behind with a small chunk: a copy of its own size is queued, the buffer stays reusable.
    behind = true;
    into.callback(10, first);
    expect(written[1]!.buffer).not.toBe(first.buffer);
    expect(written[1]!.length).toBe(10);
    expect(bufferOf()).toBe(first);
    // A large chunk is queued as a view: that buffer is then held and the next read gets a new one.
    into.callback(READ_BUFFER_MIN - 1, first);
    expect(written[2]!.buffer).toBe(first.buffer);
    expect(bufferOf()).not.toBe(first);
  });

  it('takes back a buffer once its queued write is done, instead of allocating another', () => {
    const callbacks: Array<() => void> = [];
    const into = readInto({
      write: (_chunk, written) => {
        if (written) callbacks.push(written);
        return true;
      },
      behind: () => true,
      onDrain: () => undefined,
    });
    const bufferOf = () => (typeof into.buffer === 'function' ? into.buffer() : into.buffer);
    const a = bufferOf();
    into.callback(a.length - 1, a);
    const b = bufferOf();
    expect(b).not.toBe(a);
    // a's write is still queued: b's own queued write must not bring a back yet.
    into.callback(b.length - 1, b);
    callbacks.shift()!();
    expect(bufferOf()).toBe(a);
  });

  it('grows the read buffer while reads fill it, up to the maximum', () => {
    const into = readInto({ write: () => true, behind: () => false, onDrain: () => undefined });
    const bufferOf = () => (typeof into.buffer === 'function' ? into.buffer() : into.buffer);
    let b = bufferOf();
    while (b.length < READ_BUFFER_MAX) {
      into.callback(b.length, b);
      const next = bufferOf();
      expect(next.length).toBe(Math.min(b.length * 2, READ_BUFFER_MAX));
      b = next;
    }
    into.callback(b.length, b);
    expect(bufferOf().length).toBe(READ_BUFFER_MAX);
  });

  it('shares full-size buffers whose queued writes are done between connections, keeping at most a few', () => {
    const callbacks: Array<() => void> = [];
    const queueing: ReadIntoTarget = {
      write: (_chunk, written) => {
        if (written) callbacks.push(written);
        return true;
      },
      behind: () => true,
      onDrain: () => undefined,
    };
    const grown = () => {
      const into = readInto(queueing);
      const bufferOf = () => (typeof into.buffer === 'function' ? into.buffer() : into.buffer);
      let b = bufferOf();
      while (b.length < READ_BUFFER_MAX) {
        into.callback(b.length, b);
        b = bufferOf();
      }
      return { into, bufferOf };
    };
    // A download towards a destination that queues every write: each full read is held by its write.
    const one = grown();
    const held = new Set<Uint8Array>();
    for (let i = 0; i < POOL_MAX + 4; i++) {
      const b = one.bufferOf();
      held.add(b);
      one.into.callback(b.length, b);
    }
    for (const done of callbacks.splice(0)) done();
    // The writes are done: one buffer stays with the connection, the pool holds no more than its cap.
    expect(pooledBuffers()).toBeGreaterThan(0);
    expect(pooledBuffers()).toBeLessThanOrEqual(POOL_MAX);
    // Another connection growing to full size takes one of them instead of allocating.
    const two = grown();
    expect(held.has(two.bufferOf())).toBe(true);
  });
});
