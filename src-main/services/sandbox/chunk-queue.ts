/**
 * Arriving stream chunks, queued so that a frame can be cut out once it is complete without joining
 * the chunks one by one (a 256 KiB frame arrives in several pipe-sized chunks, and repeated joins
 * would copy it several times). Shared by the engine's stream demultiplexer (demux.ts) and the
 * egress tunnel's framing (egress-tunnel.ts).
 */
export class ChunkQueue {
  private readonly chunks: Buffer[] = [];
  /** Bytes queued. */
  size = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** Length of the first queued chunk (0 when empty). */
  get headLength(): number {
    return this.chunks[0]?.length ?? 0;
  }

  /** The first n bytes without consuming them; n must not exceed size. */
  peek(n: number): Buffer {
    const head = this.chunks[0]!;
    return head.length >= n ? head : Buffer.concat(this.chunks, n);
  }

  /** Removes and returns the first n bytes; a view into the first chunk when it holds them all. */
  take(n: number): Buffer {
    const head = this.chunks[0]!;
    if (head.length >= n) {
      if (head.length === n) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
      this.size -= n;
      return head.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    for (let off = 0; off < n;) {
      const first = this.chunks[0]!;
      const m = Math.min(first.length, n - off);
      first.copy(out, off, 0, m);
      off += m;
      if (m === first.length) this.chunks.shift();
      else this.chunks[0] = first.subarray(m);
    }
    this.size -= n;
    return out;
  }

  /** Removes and returns everything queued. */
  drain(): Buffer[] {
    this.size = 0;
    return this.chunks.splice(0);
  }
}
