import { closeSync, fstatSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PackFormatError, type ObjectType } from './pack-format';
import { PackReader, type PackLayout, type ReadOptions } from './pack-reader';

/**
 * The packs of a repository on disk (objects/pack/*.pack with their v2 .idx), read with the same
 * PackReader a clone's checkout uses: an object is looked up in each index in turn and read from
 * its pack by positional reads. The clone cache's isomorphic-git path reads its mirrors this way
 * (isomorphic-mirror.ts), so no object store is ever loaded whole into memory.
 */
export interface PackSet {
  has(oid: string): boolean;
  /** The object with this id; throws PackFormatError when no pack holds it. */
  read(oid: string, options?: ReadOptions): { type: ObjectType; data: Buffer };
  /** A number that orders objects as they lie on disk (pack, then offset), to read many in that order. */
  position(oid: string): number | undefined;
  /** The .pack files read (absolute paths). */
  readonly packs: string[];
  close(): void;
}

export function openPackSet(packDir: string): PackSet {
  const names = readdirSync(packDir).filter((n) => n.endsWith('.pack'));
  const readers: PackReader[] = [];
  const fds: number[] = [];
  try {
    for (const name of names) {
      const packPath = join(packDir, name);
      const layout = idxLayout(readFileSync(packPath.replace(/\.pack$/, '.idx')), packPath);
      const fd = openSync(packPath, 'r');
      fds.push(fd);
      const size = fstatSync(fd).size;
      readers.push(new PackReader(fd, { ...layout, endOf: (offset) => layout.endOf(offset, size) }));
    }
  } catch (error) {
    for (const fd of fds) closeSync(fd);
    throw error;
  }
  const readerOf = (oid: string) => readers.find((r) => r.has(oid));
  return {
    packs: names.map((n) => join(packDir, n)),
    has: (oid) => readerOf(oid) !== undefined,
    read(oid, options) {
      const reader = readerOf(oid);
      if (!reader) throw new PackFormatError(`Object ${oid} is in none of the repository's packs.`);
      return reader.read(oid, options);
    },
    position(oid) {
      for (let i = 0; i < readers.length; i++) {
        const offset = (readers[i] as PackReader).position(oid);
        // Offsets stay below 2^44 (16 TiB packs), so pack i's objects sort before pack i + 1's.
        if (offset !== undefined) return i * 2 ** 44 + offset;
      }
      return undefined;
    },
    close() {
      for (const fd of fds.splice(0)) closeSync(fd);
    },
  };
}

/**
 * A pack's layout from its version 2 index (git's Documentation/gitformat-pack.txt): sorted ids
 * with a fan-out table, then CRCs, 31-bit offsets and, for packs over 2 GiB, 64-bit offsets. An
 * object ends where the next one (by offset) starts, the last one at the pack's 20-byte trailer.
 */
function idxLayout(
  idx: Buffer,
  packPath: string,
): Pick<PackLayout, 'offsetOfId'> & { endOf(offset: number, packSize: number): number | undefined } {
  if (idx.length < 8 + 256 * 4 + 40 || idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2)
    throw new PackFormatError(`${packPath}: its index is not a version 2 pack index.`);
  const count = idx.readUInt32BE(8 + 255 * 4);
  const idsAt = 8 + 256 * 4;
  const offsetsAt = idsAt + count * 20 + count * 4;
  const largeAt = offsetsAt + count * 4;
  if (idx.length < largeAt + 40) throw new PackFormatError(`${packPath}: its index is truncated.`);
  const offsetAt = (i: number): number => {
    const small = idx.readUInt32BE(offsetsAt + i * 4);
    if (!(small & 0x80000000)) return small;
    const at = largeAt + (small & 0x7fffffff) * 8;
    if (at + 8 > idx.length - 40) throw new PackFormatError(`${packPath}: its index is damaged.`);
    return Number(idx.readBigUInt64BE(at));
  };
  let sortedOffsets: Float64Array | undefined;
  return {
    offsetOfId(hex) {
      if (!/^[0-9a-f]{40}$/.test(hex)) return undefined;
      const want = Buffer.from(hex, 'hex');
      const first = want[0] as number;
      let lo = first === 0 ? 0 : idx.readUInt32BE(8 + (first - 1) * 4);
      let hi = idx.readUInt32BE(8 + first * 4) - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        // Negative: the entry at mid sorts before the id looked for.
        const cmp = idx.compare(want, 0, 20, idsAt + mid * 20, idsAt + mid * 20 + 20);
        if (cmp === 0) return offsetAt(mid);
        if (cmp < 0) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    },
    endOf(offset, packSize) {
      if (!sortedOffsets) {
        sortedOffsets = new Float64Array(count);
        for (let i = 0; i < count; i++) sortedOffsets[i] = offsetAt(i);
        sortedOffsets.sort();
      }
      let lo = 0;
      let hi = count - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const at = sortedOffsets[mid] as number;
        if (at === offset) return mid + 1 < count ? (sortedOffsets[mid + 1] as number) : packSize - 20;
        if (at < offset) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    },
  };
}
