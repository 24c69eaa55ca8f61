import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/**
 * Loopback TCP for tests of the byte movers between an agent and its egress proxy (the relay and
 * tunnel scripts under resources/sandbox, the app's end of the tunnel): a port to hand a relay,
 * a client that connects once the relay listens, and what came through, read whole and hashed.
 */

/** A loopback port nothing listens on at the moment of asking. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A half-open-capable connection to 127.0.0.1:port, retried while a just-started process begins to listen. */
export async function connectWhenListening(port: number): Promise<Socket> {
  for (let i = 0; ; i++) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (error) {
      if (i > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Reads a socket to its end; `slow` pauses now and then as a slow client would. */
export function readAll(s: Socket, slow = false): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  s.on('data', (c: Buffer) => {
    chunks.push(c);
    if (slow && ++n % 16 === 0) {
      s.pause();
      setTimeout(() => s.resume(), 5);
    }
  });
  return new Promise((resolve, reject) => {
    s.once('end', () => resolve(Buffer.concat(chunks)));
    s.once('error', reject);
  });
}

/** The SHA-256 of some bytes in hex: what large payloads are compared by, so a failure prints short. */
export const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
