import { createHash } from 'node:crypto';

/**
 * The pieces of git's pack format shared by the streaming indexer and the pack reader: object
 * headers, delta application and object ids. Native hashing (node:crypto) instead of the
 * per-object async WebCrypto call isomorphic-git makes.
 * Format reference: git's Documentation/gitformat-pack.txt.
 */

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;
const TYPE_NAMES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

export class PackFormatError extends Error {
  readonly code = 'PackFormatError';
}

export function typeName(code: number): ObjectType {
  const name = TYPE_NAMES[code];
  if (!name) throw new PackFormatError(`Unknown object type ${code} in the pack.`);
  return name;
}

export interface ObjectHeader {
  /** 1–4 for whole objects, 6 (ofs-delta) or 7 (ref-delta). */
  typeCode: number;
  /** Inflated size (of the delta, for deltas). */
  size: number;
  /** Pack offset of the base, for ofs-deltas. */
  baseOffset?: number;
  /** Object id of the base, for ref-deltas. */
  baseOid?: string;
  /** Bytes of the header, from the object's start to its zlib stream. */
  headerLength: number;
}

/**
 * Parses an object header at `pos` of `buf` (the object starting at pack offset `offset`).
 * Returns undefined when `buf` ends inside the header (more bytes needed).
 */
export function parseObjectHeader(buf: Uint8Array, pos: number, offset: number): ObjectHeader | undefined {
  let i = pos;
  if (i >= buf.length) return undefined;
  let c = buf[i++] as number;
  const typeCode = (c >> 4) & 7;
  let size = c & 15;
  let scale = 16;
  while (c & 0x80) {
    if (i >= buf.length) return undefined;
    c = buf[i++] as number;
    size += (c & 0x7f) * scale;
    scale *= 128;
  }
  if (typeCode === OBJ_OFS_DELTA) {
    if (i >= buf.length) return undefined;
    c = buf[i++] as number;
    let distance = c & 0x7f;
    while (c & 0x80) {
      if (i >= buf.length) return undefined;
      c = buf[i++] as number;
      distance = (distance + 1) * 128 + (c & 0x7f);
    }
    if (distance <= 0 || distance > offset) throw new PackFormatError(`Delta at ${offset} points outside the pack.`);
    return { typeCode, size, baseOffset: offset - distance, headerLength: i - pos };
  }
  if (typeCode === OBJ_REF_DELTA) {
    if (i + 20 > buf.length) return undefined;
    const baseOid = Buffer.from(buf.buffer, buf.byteOffset + i, 20).toString('hex');
    return { typeCode, size, baseOid, headerLength: i + 20 - pos };
  }
  typeName(typeCode);
  return { typeCode, size, headerLength: i - pos };
}

/** git's object id: SHA-1 of "<type> <size>\0" and the content. */
export function objectId(type: ObjectType, data: Uint8Array): Buffer {
  return createHash('sha1').update(`${type} ${data.length}\0`).update(data).digest();
}

/** Applies a git delta (copy/insert instructions) to its base. */
export function applyDelta(delta: Uint8Array, base: Uint8Array): Buffer {
  let i = 0;
  const varint = () => {
    let value = 0;
    let scale = 1;
    let c: number;
    do {
      if (i >= delta.length) throw new PackFormatError('Truncated delta header.');
      c = delta[i++] as number;
      value += (c & 0x7f) * scale;
      scale *= 128;
    } while (c & 0x80);
    return value;
  };
  if (varint() !== base.length) throw new PackFormatError('Delta base has the wrong size.');
  const size = varint();
  const out = Buffer.allocUnsafe(size);
  let o = 0;
  while (i < delta.length) {
    const op = delta[i++] as number;
    if (op & 0x80) {
      let from = 0;
      let len = 0;
      for (let bit = 0; bit < 4; bit++) if (op & (1 << bit)) from += (delta[i++] as number) * 2 ** (8 * bit);
      for (let bit = 0; bit < 3; bit++) if (op & (16 << bit)) len += (delta[i++] as number) << (8 * bit);
      if (len === 0) len = 0x10000;
      if (from + len > base.length || o + len > size) throw new PackFormatError('Delta copies outside its base.');
      out.set(base.subarray(from, from + len), o);
      o += len;
    } else if (op > 0) {
      if (i + op > delta.length || o + op > size) throw new PackFormatError('Delta inserts past its end.');
      out.set(delta.subarray(i, i + op), o);
      i += op;
      o += op;
    } else {
      throw new PackFormatError('Delta has a reserved opcode.');
    }
  }
  if (o !== size) throw new PackFormatError('Delta result has the wrong size.');
  return out;
}

/**
 * Recently inflated objects by pack offset (delta bases), in one preallocated ring buffer: an
 * object is copied in and the oldest ones are overwritten as it wraps. One long-lived buffer
 * instead of thousands of cached Buffers matters for memory: cached Buffers live long enough to
 * reach V8's old generation, and once evicted they stay allocated until a full GC, which V8
 * runs only after tens of MB of such garbage (the bench measured it). `get` returns a copy, so a
 * caller never holds bytes that a later `set` overwrites.
 */
export class ObjectCache {
  private readonly ring: Buffer;
  private readonly entries = new Map<number, { type: ObjectType; start: number; length: number }>();
  /** Offsets in insertion order; the head is the oldest, lying just after the write position. */
  private readonly order: number[] = [];
  private head = 0;
  private pos = 0;

  constructor(maxBytes: number) {
    this.ring = Buffer.allocUnsafe(maxBytes);
  }

  get(offset: number): { type: ObjectType; data: Buffer } | undefined {
    const hit = this.entries.get(offset);
    if (!hit) return undefined;
    return { type: hit.type, data: Buffer.from(this.ring.subarray(hit.start, hit.start + hit.length)) };
  }

  set(offset: number, value: { type: ObjectType; data: Uint8Array }): void {
    const length = value.data.length;
    // Empty objects are not worth a slot (and a zero-length slot would confuse eviction).
    if (length === 0 || length > this.ring.length / 8 || this.entries.has(offset)) return;
    if (this.pos + length > this.ring.length) {
      // Wrap: everything between the write position and the end goes.
      this.evictOverlapping(this.pos, this.ring.length);
      this.pos = 0;
    }
    this.evictOverlapping(this.pos, this.pos + length);
    // Buffer#copy is a plain memcpy; TypedArray#set measured several times slower here.
    const data = Buffer.isBuffer(value.data)
      ? value.data
      : Buffer.from(value.data.buffer, value.data.byteOffset, value.data.byteLength);
    data.copy(this.ring, this.pos);
    this.entries.set(offset, { type: value.type, start: this.pos, length });
    this.order.push(offset);
    this.pos += length;
    // Drop consumed slots from the front of the order list now and then (amortised O(1)).
    if (this.head > 4096 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  private evictOverlapping(from: number, to: number): void {
    while (this.head < this.order.length) {
      const offset = this.order[this.head] as number;
      const entry = this.entries.get(offset);
      if (entry && !(entry.start < to && entry.start + entry.length > from)) break;
      this.entries.delete(offset);
      this.head++;
    }
  }

  clear(): void {
    this.entries.clear();
    this.order.length = 0;
    this.head = 0;
    this.pos = 0;
  }
}
