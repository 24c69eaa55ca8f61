import { ChunkQueue } from './chunk-queue';
/**
 * Splits the engine's multiplexed attach/exec stream (Tty off) into stdout and stderr: frames of an
 * 8-byte header (stream type: 0 stdin, 1 stdout, 2 stderr; 3 bytes zero; u32 BE length) and the
 * payload. Payloads are handed on as views of the chunks that arrived, never copied unless a frame
 * is split across chunks; docker-modem's demuxStream joins and re-copies its whole pending buffer
 * on every chunk, which made the tunnel shape's engine stream (egress-tunnel.ts) cost more CPU than
 * the proxy itself. A header with an unknown stream type means the stream is not multiplexed
 * (a Tty, or out of step): from there on everything goes to stdout as is, as docker-modem does.
 */

const HEADER = 8;

export function demuxEngineStream(
  source: NodeJS.ReadableStream,
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): void {
  const queue = new ChunkQueue();
  /** Stream type and bytes left of the frame being read, or undefined between frames. */
  let frame: { out: NodeJS.WritableStream; left: number } | undefined;
  let raw = false;

  source.on('data', (chunk: Buffer) => {
    if (raw) return void stdout.write(chunk);
    queue.push(chunk);
    for (;;) {
      if (frame) {
        if (!queue.size) return;
        // A frame's payload is passed on as it arrives, chunk by chunk: no frame is held back whole.
        const piece = queue.take(Math.min(frame.left, queue.headLength));
        frame.left -= piece.length;
        frame.out.write(piece);
        if (!frame.left) frame = undefined;
        continue;
      }
      if (queue.size < HEADER) return;
      const header = queue.take(HEADER);
      const type = header[0]!;
      if (type > 2) {
        raw = true;
        stdout.write(header);
        for (const rest of queue.drain()) stdout.write(rest);
        return;
      }
      const length = header.readUInt32BE(4);
      if (length) frame = { out: type === 1 ? stdout : stderr, left: length };
    }
  });
}
