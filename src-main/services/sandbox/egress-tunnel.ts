import { ChunkQueue } from './chunk-queue';
import { connect, type Socket } from 'node:net';
import type { Writable } from 'node:stream';
import type { ProcessStream } from './engine';
import { readInto } from './read-into';

/**
 * The app's end of the egress tunnel (tunnel shape, for a remote engine): connections accepted by
 * resources/sandbox/tunnel.pl in the run's relay container arrive as frames on its stdio, attached
 * through the engine API, and each is handed to the run's proxy here. The frame format and the
 * per-connection window are described in tunnel.pl; both ends must agree on them.
 */

const HEADER = 9;
const EMPTY = Buffer.alloc(0);
/** Bytes of one connection the relay may be sent before it acknowledges them (tunnel.pl has the same). */
export const TUNNEL_WINDOW = 4 << 20;
/**
 * Bytes written to the proxy before they are acknowledged to the relay. Each window frame crosses
 * the engine's stream as a message of its own, and one per data frame put an extra crossing
 * in front of every answer; below the window, so a relay that has used it all always hears back
 * (tunnel.pl gathers its acknowledgements the same way).
 */
const TUNNEL_ACK_MIN = TUNNEL_WINDOW >> 3;

type FrameType = 'O' | 'D' | 'E' | 'C' | 'W';

interface Connection {
  socket: Socket;
  credit: number;
  /** Bytes written to the proxy and not yet acknowledged to the relay. */
  unacked: number;
  closed: boolean;
  /** Restarts reading from the proxy once the relay has acknowledged enough (set while out of credit). */
  resume?: () => void;
}

export interface EgressTunnel {
  /** Connections carried so far (tests, diagnostics). */
  readonly opened: number;
  close(): void;
}

/** Serves the tunnel on `stream` until it ends, opening one connection to `proxyPath` per tunnelled one. */
export function serveEgressTunnel(
  stream: ProcessStream,
  proxyPath: string,
  onError: (error: unknown) => void,
): EgressTunnel {
  const connections = new Map<number, Connection>();
  let opened = 0;

  let broken = false;
  // The engine connection can drop (a remote host going away): every connection ends with it.
  stream.stdin.on('error', (error: unknown) => {
    broken = true;
    onError(error);
  });
  const send = (type: FrameType, id: number, payload?: Buffer, length = payload?.length ?? 0) => {
    if (broken) return;
    const header = Buffer.alloc(HEADER);
    header.write(type, 0, 'latin1');
    header.writeUInt32BE(id, 1);
    header.writeUInt32BE(length, 5);
    if (!payload) return void stream.stdin.write(header);
    // Two writes, no copy of the payload; corked so they leave as one.
    const stdin = stream.stdin as NodeJS.WritableStream & Partial<Pick<Writable, 'cork' | 'uncork'>>;
    stdin.cork?.();
    stdin.write(header);
    stdin.write(payload);
    if (stdin.uncork) process.nextTick(() => stdin.uncork?.());
  };

  const stdinState = stream.stdin as NodeJS.WritableStream &
    Partial<Pick<Writable, 'writableLength' | 'cork' | 'uncork'>>;
  /**
   * A data frame: header and payload as two writes, so the payload is not copied, corked and
   * uncorked at once so they leave in one system call (a lone header would cross the engine's exec
   * stream as a message of its own) and a payload written at once still frees its read buffer.
   */
  const sendData = (id: number, payload: Buffer, written?: () => void) => {
    if (broken) return;
    const header = Buffer.allocUnsafe(HEADER);
    header.write('D', 0, 'latin1');
    header.writeUInt32BE(id, 1);
    header.writeUInt32BE(payload.length, 5);
    stdinState.cork?.();
    stream.stdin.write(header);
    stream.stdin.write(payload, () => written?.());
    stdinState.uncork?.();
  };

  const open = (id: number) => {
    opened += 1;
    const conn: Connection = {
      socket: undefined as unknown as Socket,
      credit: TUNNEL_WINDOW,
      unacked: 0,
      closed: false,
    };
    // The proxy's answer is read into large reusable buffers and framed as is (read-into.ts); the
    // window, not the engine connection, holds a connection back.
    const fromProxy = readInto({
      write: (chunk, written) => {
        sendData(id, chunk, written);
        conn.credit -= chunk.length;
        return conn.credit > 0;
      },
      behind: () => (stdinState.writableLength ?? 1) > 0,
      onDrain: (resume) => {
        conn.resume = resume;
      },
    });
    // allowHalfOpen: the proxy finishing its answer must not end what the client still sends.
    const socket = connect({ path: proxyPath, allowHalfOpen: true, onread: fromProxy });
    fromProxy.attach(socket);
    conn.socket = socket;
    connections.set(id, conn);
    socket.on('end', () => send('E', id));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!conn.closed) send('C', id);
      conn.closed = true;
      connections.delete(id);
    });
  };

  const onFrame = (type: string, id: number, length: number, payload: Buffer) => {
    if (type === 'O') return open(id);
    const conn = connections.get(id);
    if (!conn) return;
    switch (type) {
      case 'D':
        conn.socket.write(payload, () => {
          conn.unacked += payload.length;
          if (conn.unacked < TUNNEL_ACK_MIN || conn.closed) return;
          send('W', id, undefined, conn.unacked);
          conn.unacked = 0;
        });
        return;
      case 'E':
        conn.socket.end();
        return;
      case 'C':
        // The client's side is gone: deliver what it sent, then close.
        conn.closed = true;
        conn.socket.end(() => conn.socket.destroy());
        return;
      case 'W':
        conn.credit += length;
        if (conn.credit > 0 && conn.resume) {
          const resume = conn.resume;
          conn.resume = undefined;
          resume();
        }
        return;
      default:
        onError(new Error(`egress tunnel: unknown frame type ${JSON.stringify(type)}`));
        stream.close();
    }
  };

  // Arriving chunks are queued and each frame is cut out once it is complete: a 256 KiB frame arrives
  // in several pipe-sized chunks, and joining them one by one would copy it several times.
  const queue = new ChunkQueue();

  stream.stdout.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    while (queue.size >= HEADER) {
      const header = queue.peek(HEADER);
      const type = header.toString('latin1', 0, 1);
      const id = header.readUInt32BE(1);
      const length = header.readUInt32BE(5);
      const carries = type !== 'W' ? length : 0;
      if (queue.size < HEADER + carries) break;
      queue.take(HEADER);
      onFrame(type, id, length, carries ? queue.take(carries) : EMPTY);
    }
  });
  void stream.ended.then(() => {
    for (const conn of connections.values()) conn.socket.destroy();
    connections.clear();
  });

  return {
    get opened() {
      return opened;
    },
    close() {
      stream.close();
      for (const conn of connections.values()) conn.socket.destroy();
      connections.clear();
    },
  };
}
