import { readSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import {
  applyDelta,
  ObjectCache,
  OBJ_OFS_DELTA,
  PackFormatError,
  parseObjectHeader,
  typeName,
  type ObjectType,
} from './pack-format';

/** Where objects lie in the .pack file (see ObjectTable). */
export interface PackLayout {
  /** The end of the object starting at `offset` (its bytes are [offset, end)). */
  endOf(offset: number): number | undefined;
  /** The offset of the object with this id (hex). */
  offsetOfId(hex: string): number | undefined;
}

/** Bytes read ahead when objects are read in pack order (see PackReader#bytes). */
const WINDOW_BYTES = 512 * 1024;

/** How an object is read: `keep: false` leaves it out of the cache unless a delta needed it as a base. */
export interface ReadOptions {
  keep?: boolean;
}

/**
 * Reads objects of a pack file by offset or id, with positional reads (never the whole pack in
 * memory) and native inflate; delta bases come from a bounded cache, so an object shared by many
 * deltas is inflated once. Objects read in pack order (a checkout sorts its files so) come from
 * one read-ahead window instead of one read call each.
 */
export class PackReader {
  /** The last read-ahead window: bytes [start, start + length) of the pack. */
  private window: { start: number; bytes: Buffer } | undefined;
  /** Where the previous object read ended: a read starting just after it is sequential. */
  private lastEnd = -1;
  private readAhead: Buffer | undefined;

  constructor(
    private readonly fd: number,
    private readonly layout: PackLayout,
    readonly cache = new ObjectCache(16 * 1024 * 1024),
  ) {}

  has(oid: string): boolean {
    return this.layout.offsetOfId(oid) !== undefined;
  }

  /** Where the object lies in the pack (its offset), to read many objects in pack order. */
  position(oid: string): number | undefined {
    return this.layout.offsetOfId(oid);
  }

  /** The object with this id; throws when the pack does not hold it. */
  read(oid: string, options?: ReadOptions): { type: ObjectType; data: Buffer } {
    const offset = this.layout.offsetOfId(oid);
    if (offset === undefined) throw new PackFormatError(`Object ${oid} is not in the pack.`);
    return this.readAt(offset, options);
  }

  /**
   * The object starting at this pack offset, deltas applied. Every base on the way is cached; the
   * object itself too unless `keep` is false: a checkout reads each file once, and caching each
   * would push out the bases that other files' deltas need (and copy every file once more).
   */
  readAt(offset: number, { keep = true }: ReadOptions = {}): { type: ObjectType; data: Buffer } {
    // Delta chains can be long; walk down to a cached or whole object without recursion.
    const chain: Array<{ offset: number; delta: Buffer }> = [];
    let at = offset;
    let resolved: { type: ObjectType; data: Buffer } | undefined;
    for (;;) {
      const cached = this.cache.get(at);
      if (cached) {
        resolved = cached;
        break;
      }
      const { header, data } = this.inflateAt(at);
      if (header.baseOffset === undefined && header.baseOid === undefined) {
        resolved = { type: typeName(header.typeCode), data };
        if (keep || chain.length > 0) this.cache.set(at, resolved);
        break;
      }
      chain.push({ offset: at, delta: data });
      const base = header.typeCode === OBJ_OFS_DELTA ? header.baseOffset : this.layout.offsetOfId(header.baseOid ?? '');
      if (base === undefined)
        throw new PackFormatError(`The base ${header.baseOid ?? '?'} of the delta at ${at} is not in the pack.`);
      if (chain.length > 10_000) throw new PackFormatError('Delta chain too long (a loop?).');
      at = base;
    }
    for (let i = chain.length - 1; i >= 0; i--) {
      const link = chain[i] as { offset: number; delta: Buffer };
      resolved = { type: resolved.type, data: applyDelta(link.delta, resolved.data) };
      if (keep || i > 0) this.cache.set(link.offset, resolved);
    }
    return resolved;
  }

  /** Inflates the stored (possibly delta) data of the object at `offset`. */
  inflateAt(offset: number): { header: NonNullable<ReturnType<typeof parseObjectHeader>>; data: Buffer } {
    const end = this.layout.endOf(offset);
    if (end === undefined) throw new PackFormatError(`No object starts at offset ${offset}.`);
    const raw = this.bytes(offset, end);
    const header = parseObjectHeader(raw, 0, offset);
    if (!header) throw new PackFormatError(`Truncated object header at ${offset}.`);
    const data = inflateExact(raw.subarray(header.headerLength), header.size);
    return { header, data };
  }

  /**
   * The bytes [offset, end) of the pack, valid until the next call (they are only inflated). A
   * read that starts a little after the previous object (reading in pack order) fills a read-ahead
   * window the next objects come from; any other read (a delta base behind, a tree elsewhere)
   * reads exactly the object.
   */
  private bytes(offset: number, end: number): Buffer {
    const length = end - offset;
    const w = this.window;
    const sequential = offset >= this.lastEnd && offset - this.lastEnd < WINDOW_BYTES && this.lastEnd >= 0;
    this.lastEnd = end;
    if (w && offset >= w.start && end <= w.start + w.bytes.length)
      return w.bytes.subarray(offset - w.start, end - w.start);
    if (!sequential || length > WINDOW_BYTES / 4) {
      const raw = Buffer.allocUnsafe(length);
      readRange(this.fd, raw, offset, length);
      return raw;
    }
    const bytes = (this.readAhead ??= Buffer.allocUnsafe(WINDOW_BYTES));
    const got = readRange(this.fd, bytes, offset, length);
    this.window = { start: offset, bytes: bytes.subarray(0, got) };
    return bytes.subarray(0, length);
  }
}

/** Fills `into` from `position` (less at the end of the file); fails if fewer than `need` bytes came. */
function readRange(this: void, fd: number, into: Buffer, position: number, need: number): number {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  if (got < need) throw new PackFormatError('The pack file is shorter than its index says.');
  return got;
}

/** Inflates a whole zlib stream whose inflated size is known; refuses anything else. */
export function inflateExact(input: Uint8Array, size: number): Buffer {
  // One output buffer of the right size (no chunk concatenation); a larger result is refused
  // instead of allocated, so a corrupt or hostile size cannot blow up memory.
  const data = inflateSync(input, { chunkSize: Math.max(64, size + 1), maxOutputLength: Math.max(1, size + 1) });
  if (data.length !== size)
    throw new PackFormatError(`Object inflated to ${data.length} bytes, the pack says ${size}.`);
  return data;
}
