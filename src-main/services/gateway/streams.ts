import { Transform, type TransformCallback } from 'node:stream';

/**
 * Pass-through streams the gateway splices into bodies: one keeps a bounded copy of the first
 * bytes (to read a push's commands or a created MR's JSON) without holding back or buffering the
 * rest; one masks the token should GitLab ever echo it.
 */

/** Passes everything through and keeps a copy of at most `limit` bytes, readable as `captured()`. */
export class CaptureStream extends Transform {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(
    private readonly limit: number,
    /** Called after each captured chunk; returning true stops capturing (enough has been seen). */
    private readonly enough?: (captured: Buffer) => boolean,
  ) {
    super();
  }

  captured(): Buffer {
    return Buffer.concat(this.chunks);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (!this.truncated && this.size < this.limit) {
      const part = chunk.subarray(0, this.limit - this.size);
      this.chunks.push(part);
      this.size += part.length;
      if (part.length < chunk.length || this.enough?.(this.captured())) this.truncated = true;
    }
    done(null, chunk);
  }
}

/**
 * Replaces every occurrence of `secret` with asterisks of the same length, across chunk
 * boundaries (the last secret.length-1 bytes are held back until the next chunk or the end).
 * Same length keeps Content-Length valid.
 */
export class RedactStream extends Transform {
  private tail = Buffer.alloc(0);
  private readonly secret: Buffer;
  private readonly mask: Buffer;
  found = 0;

  constructor(secret: string) {
    super();
    this.secret = Buffer.from(secret, 'utf8');
    this.mask = Buffer.alloc(this.secret.length, '*');
  }

  private redact(buf: Buffer): Buffer {
    let at = buf.indexOf(this.secret);
    while (at >= 0) {
      this.mask.copy(buf, at);
      this.found += 1;
      at = buf.indexOf(this.secret, at + this.secret.length);
    }
    return buf;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const all = this.redact(Buffer.concat([this.tail, chunk]));
    const keep = Math.min(all.length, this.secret.length - 1);
    this.tail = Buffer.from(all.subarray(all.length - keep));
    done(null, all.subarray(0, all.length - keep));
  }

  override _flush(done: TransformCallback): void {
    done(null, this.tail);
  }
}
