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

/**
 * Reads objects of a pack file by offset or id, with positional reads of exactly the object's
 * bytes (never the whole pack in memory) and native inflate; delta bases come from a bounded
 * cache, so an object shared by many deltas is inflated once.
 */
export class PackReader {
  constructor(
    private readonly fd: number,
    private readonly layout: PackLayout,
    readonly cache = new ObjectCache(16 * 1024 * 1024),
  ) {}

  has(oid: string): boolean {
    return this.layout.offsetOfId(oid) !== undefined;
  }

  /** The object with this id; throws when the pack does not hold it. */
  read(oid: string): { type: ObjectType; data: Buffer } {
    const offset = this.layout.offsetOfId(oid);
    if (offset === undefined) throw new PackFormatError(`Object ${oid} is not in the pack.`);
    return this.readAt(offset);
  }

  /** The object starting at this pack offset, deltas applied. */
  readAt(offset: number): { type: ObjectType; data: Buffer } {
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
        this.cache.set(at, resolved);
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
      this.cache.set(link.offset, resolved);
    }
    return resolved;
  }

  /** Inflates the stored (possibly delta) data of the object at `offset`. */
  inflateAt(offset: number): { header: NonNullable<ReturnType<typeof parseObjectHeader>>; data: Buffer } {
    const end = this.layout.endOf(offset);
    if (end === undefined) throw new PackFormatError(`No object starts at offset ${offset}.`);
    const raw = Buffer.allocUnsafe(end - offset);
    let got = 0;
    while (got < raw.length) {
      const n = readSync(this.fd, raw, got, raw.length - got, offset + got);
      if (n === 0) throw new PackFormatError('The pack file is shorter than its index says.');
      got += n;
    }
    const header = parseObjectHeader(raw, 0, offset);
    if (!header) throw new PackFormatError(`Truncated object header at ${offset}.`);
    const data = inflateExact(raw.subarray(header.headerLength), header.size);
    return { header, data };
  }
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
