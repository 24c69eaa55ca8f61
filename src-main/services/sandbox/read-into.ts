import type { OnReadOpts, Socket } from 'node:net';

/**
 * Bytes that only pass through (a proxied connection after its allowlist decision, a tunnelled
 * connection) are read into large reusable buffers and handed on as they are, instead of
 * `socket.pipe(dst)`: a piped socket reads 64 KiB at a time into a fresh buffer and pays the stream
 * machinery per chunk, which measured about twice the CPU per byte of this on a fast local
 * download (bench/sandbox.ts has the figures). Use as `connect({ ..., onread: readInto(...) })`.
 *
 * A buffer is reused only once nothing still refers to it: a write the destination completed at
 * once is done with it; a write it had to queue keeps it, so the next read gets another (the
 * connection's spare, a full-size one from the shared pool below, or a new one). While the
 * destination is already behind, a chunk under half its buffer is copied to its own size before it
 * is queued, so a peer trickling small reads cannot make each of them hold a whole large buffer
 * (queued bytes hold at most twice their size); `false` from `write` pauses the source until the
 * destination drains, as `pipe` does.
 */

/**
 * Read buffers start at 64 KiB (what a piped socket reads) and double, up to 1 MiB, each time a read
 * fills one: an idle or slow connection keeps a small buffer, a fast download reads up to what the
 * kernel's socket buffer holds per call.
 */
export const READ_BUFFER_MIN = 64 << 10;
export const READ_BUFFER_MAX = 1 << 20;

/**
 * Full-size read buffers whose queued writes have completed, shared by every connection of the
 * process. Towards a destination that queues most writes (the tunnel's engine stream, where the
 * engine's API service is the slowest hop) each read otherwise took a new 1 MiB buffer and left
 * the last one to the collector, and that external memory set off full collections of the app's
 * whole heap (a quarter of the app's CPU in the tunnel shape, per perf). At most POOL_MAX buffers
 * wait here, so the pool never holds more than a few MiB.
 */
export const POOL_MAX = 8;
const pool: Buffer[] = [];

function takeBuffer(size: number): Buffer {
  return (size === READ_BUFFER_MAX ? pool.pop() : undefined) ?? Buffer.allocUnsafe(size);
}

/** Hands a buffer nothing refers to any more back for reuse (full-size ones only). */
function releaseBuffer(buf: Buffer): void {
  if (buf.length === READ_BUFFER_MAX && pool.length < POOL_MAX) pool.push(buf);
}

/** Buffers waiting in the pool (tests). */
export function pooledBuffers(): number {
  return pool.length;
}

export interface ReadIntoTarget {
  /** Writes one chunk, `written` once nothing refers to it any more; false asks the source to pause until `onDrain`. */
  write(chunk: Buffer, written?: () => void): boolean;
  /** Whether bytes written earlier are still queued (a new chunk would be queued after them). */
  behind(): boolean;
  /** Calls `resume` once the destination can take more. */
  onDrain(resume: () => void): void;
}

/** A target writing to a socket or other writable stream. */
export function streamTarget(dst: NodeJS.WritableStream & { writableLength: number }): ReadIntoTarget {
  return {
    write: (chunk, written) => dst.write(chunk, () => written?.()),
    behind: () => dst.writableLength > 0,
    onDrain: (resume) => void dst.once('drain', resume),
  };
}

/**
 * `onread` options for the source socket: every chunk read goes to `target`. `source` is given once
 * the socket exists (connect() returns it after the options are built).
 */
export function readInto(target: ReadIntoTarget): OnReadOpts & { attach(source: Socket): void } {
  let current: Buffer = Buffer.allocUnsafe(READ_BUFFER_MIN);
  let held = false;
  let grow = false;
  // A buffer whose queued write has completed, taken before allocating a new one: a download to a
  // slower socket alternates between two buffers instead of leaving one per read to the collector.
  let spare: Buffer | undefined;
  let source: Socket | undefined;
  return {
    attach(s) {
      source = s;
    },
    buffer: () => {
      if (held || grow) {
        const size = grow ? Math.min(current.length * 2, READ_BUFFER_MAX) : current.length;
        if (spare?.length === size) current = spare;
        else {
          if (spare) releaseBuffer(spare);
          current = takeBuffer(size);
        }
        spare = undefined;
        held = false;
        grow = false;
      }
      return current;
    },
    callback: (n, buf) => {
      const chunk = Buffer.from(buf.buffer, buf.byteOffset, n);
      grow = n === buf.length && n < READ_BUFFER_MAX;
      let ok: boolean;
      // Queued behind earlier bytes, a small chunk is copied out rather than keep a large buffer alive.
      if (target.behind() && n < buf.length / 2) ok = target.write(Buffer.from(chunk));
      else {
        const mark = { held: false, buffer: buf as Buffer };
        ok = target.write(chunk, () => {
          if (!mark.held || mark.buffer === current) return;
          // One spare stays with this connection; any further one goes to the shared pool.
          if (spare) releaseBuffer(mark.buffer);
          else spare = mark.buffer;
        });
        // Not all written at once: the queued rest still points into this buffer.
        if (target.behind()) held = mark.held = true;
      }
      if (!ok && source) {
        const s = source;
        target.onDrain(() => s.resume());
        return false;
      }
      return true;
    },
  };
}
