import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TUNNEL_WINDOW } from '../../../src-main/services/sandbox/egress-tunnel';
import { connectWhenListening, freePort, sha } from '../../support/local-sockets';

/**
 * The relay side of the egress tunnel (resources/sandbox/tunnel.pl) driven frame by frame, without
 * the app's end: its input arrives in whatever pieces the engine's exec stream cuts, so a frame's
 * header and payload may be split anywhere, and the relay must deliver the bytes exactly. Frames:
 * type (1 byte), connection id (u32 BE), length (u32 BE), payload (not for W).
 */

const SCRIPT = join(__dirname, '../../../resources/sandbox/tunnel.pl');

function frame(type: string, id: number, payload: Buffer | number = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(id, 1);
  header.writeUInt32BE(typeof payload === 'number' ? payload : payload.length, 5);
  return typeof payload === 'number' ? header : Buffer.concat([header, payload]);
}

/** The frames the relay sends, parsed as they arrive. */
function frames(relay: ChildProcessWithoutNullStreams) {
  const seen: Array<{ type: string; id: number; length: number; payload: Buffer }> = [];
  let buf = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  relay.stdout.on('data', (c: Buffer) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 9) {
      const type = buf.toString('latin1', 0, 1);
      const length = buf.readUInt32BE(5);
      const carries = type === 'W' ? 0 : length;
      if (buf.length < 9 + carries) break;
      seen.push({ type, id: buf.readUInt32BE(1), length, payload: buf.subarray(9, 9 + carries) });
      buf = buf.subarray(9 + carries);
    }
    for (const w of waiters.splice(0)) w();
  });
  const until = async (ok: () => boolean) => {
    while (!ok()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { seen, until };
}

/** Writes `data` to the relay's input in pieces of random sizes, each its own write. */
async function writeInPieces(relay: ChildProcessWithoutNullStreams, data: Buffer, max: number): Promise<void> {
  for (let off = 0; off < data.length;) {
    const n = Math.min(data.length - off, 1 + Math.floor(Math.random() * max));
    if (!relay.stdin.write(data.subarray(off, off + n)))
      await new Promise<void>((resolve) => relay.stdin.once('drain', () => resolve()));
    off += n;
    // Let the relay read each piece on its own now and then.
    if (Math.random() < 0.2) await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('the tunnel relay’s framing (tunnel.pl)', () => {
  let relay: ChildProcessWithoutNullStreams | undefined;
  let stderr = '';

  afterEach(() => {
    relay?.kill();
    relay = undefined;
    expect(stderr).toBe('');
    stderr = '';
  });

  const start = async () => {
    const port = await freePort();
    relay = spawn('perl', [SCRIPT, '127.0.0.1', String(port)]);
    relay.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    // Killed at the end of a test with input still queued.
    relay.stdin.on('error', () => undefined);
    const out = frames(relay);
    const client = await connectWhenListening(port);
    await out.until(() => out.seen.some((f) => f.type === 'O'));
    return { relay, out, client, id: out.seen.find((f) => f.type === 'O')!.id };
  };

  it('delivers data frames whose headers and payloads are split anywhere, and skips payloads it does not use', async () => {
    const { relay, out, client, id } = await start();
    const chunks: Buffer[] = [];
    client.on('data', (c: Buffer) => chunks.push(c));
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    const parts = Array.from({ length: 40 }, (_, i) => randomBytes(i * 997));
    const input = Buffer.concat([
      ...parts.flatMap((p, i) => [
        frame('D', id, p),
        // Frames for a connection that does not exist and an unknown type with a payload: skipped whole.
        frame('D', id + 1000, randomBytes(i)),
        frame('X', id, randomBytes(i % 3)),
      ]),
      frame('E', id),
    ]);
    await writeInPieces(relay, input, 13);
    await ended;
    expect(sha(Buffer.concat(chunks))).toBe(sha(Buffer.concat(parts)));
    // Every byte written to the client is acknowledged once the connection ends, and none twice.
    client.end();
    await out.until(() => out.seen.some((f) => f.type === 'C' && f.id === id));
    const acked = out.seen.filter((f) => f.type === 'W' && f.id === id).reduce((n, f) => n + f.length, 0);
    expect(acked).toBeLessThanOrEqual(Buffer.concat(parts).length);
  });

  it('acknowledges in batches, and always before the sender’s window runs out', async () => {
    const { relay, out, client, id } = await start();
    let received = 0;
    client.on('data', (c: Buffer) => (received += c.length));
    // Exactly one window, in pieces: the relay must acknowledge enough of it for the sender to go on.
    const total = TUNNEL_WINDOW;
    for (let sent = 0; sent < total; sent += 64 << 10) relay.stdin.write(frame('D', id, randomBytes(64 << 10)));
    // All but less than an eighth of the window comes back acknowledged while the client reads it.
    await out.until(() => out.seen.filter((f) => f.type === 'W').reduce((n, f) => n + f.length, 0) > (total * 7) / 8);
    const acks = out.seen.filter((f) => f.type === 'W');
    // Far fewer acknowledgements than data frames (64 of them): each crosses the engine's exec stream.
    expect(acks.length).toBeLessThanOrEqual(8);
    expect(acks.every((f) => f.id === id)).toBe(true);
    await new Promise<void>((resolve) => {
      const check = () => (received === total ? resolve() : setTimeout(check, 10));
      check();
    });
    client.destroy();
  });
});
