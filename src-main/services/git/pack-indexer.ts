import { createHash, randomBytes, type Hash } from 'node:crypto';
import { closeSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { ObjectTable } from './object-table';
import {
  ObjectCache,
  objectId,
  applyDelta,
  OBJ_OFS_DELTA,
  PackFormatError,
  parseObjectHeader,
  typeName,
} from './pack-format';
import { PackReader } from './pack-reader';

/**
 * Indexes a pack while it downloads, the way `git index-pack --stdin` does: bytes go straight to
 * the .pack file; each object is inflated once with node:zlib as it arrives and hashed with
 * node:crypto; a delta whose base is still in a bounded cache is resolved on the spot, the rest
 * after the download from the file on disk. Memory stays bounded by the cache and the largest
 * object, not by the pack. The result is the .pack/.idx pair git writes (idx v2), plus a reader
 * for checkout.
 */

export interface PackIndexProgress {
  phase: 'Receiving objects' | 'Resolving deltas';
  loaded: number;
  total: number;
}

export interface IndexedPack {
  packPath: string;
  idxPath: string;
  /** The pack's checksum (its trailer), which names both files. */
  packSha: string;
  objects: number;
  /** Reads objects of the pack; close() releases it. */
  reader: PackReader;
  close(): void;
}

export class PackIndexer {
  private readonly fd: number;
  private readonly tempPath: string;
  private readonly packHash: Hash = createHash('sha1');
  private readonly table = new ObjectTable();
  /** Table indices of deltas whose base was not cached when they arrived. */
  private readonly deferred: number[] = [];
  /** 16 MB resolves all but a few hundred of 25,000 deltas in the bench's pack (see bench/clone.ts). */
  private readonly cache = new ObjectCache(16 * 1024 * 1024);
  /** Bytes received but not parsed yet; `bufOffset` is the pack offset of buf[0]. */
  private buf: Buffer = Buffer.alloc(0);
  private bufOffset = 0;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  /** Parse again only once this many bytes are buffered (an object split across chunks). */
  private waitFor = 0;
  private total = -1;
  private lastPercent = -1;
  private closed = false;

  constructor(
    private readonly packDir: string,
    private readonly onProgress: (p: PackIndexProgress) => void = () => undefined,
  ) {
    this.tempPath = join(packDir, `tmp_pack_${randomBytes(6).toString('hex')}`);
    this.fd = openSync(this.tempPath, 'w+');
  }

  /** Takes the next bytes of the pack. */
  push(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    this.queued.push(bytes);
    this.queuedBytes += bytes.length;
    if (this.buf.length + this.queuedBytes >= this.waitFor) this.parse(false);
  }

  /** Checks the trailer, resolves the remaining deltas and writes the .idx; call once the pack ended. */
  finish(): IndexedPack {
    this.parse(true);
    if (this.total < 0 || this.table.count < this.total)
      throw new PackFormatError('The pack ended early (truncated download).');
    const trailer = this.buf.subarray(0, 20);
    if (trailer.length < 20) throw new PackFormatError('The pack has no checksum trailer (truncated download).');
    if (this.buf.length > 20) throw new PackFormatError('Unexpected bytes after the end of the pack.');
    const packSha = this.packHash.digest();
    if (!packSha.equals(trailer)) throw new PackFormatError('The pack checksum does not match (corrupt download).');
    const reader = new PackReader(this.fd, this.table, this.cache);
    this.resolveDeferred(reader);
    this.table.seal();
    const name = `pack-${packSha.toString('hex')}`;
    const packPath = join(this.packDir, `${name}.pack`);
    const idxPath = join(this.packDir, `${name}.idx`);
    writeFileSync(
      idxPath,
      this.table.idxV2(packSha, (data) => createHash('sha1').update(data).digest()),
    );
    renameSync(this.tempPath, packPath);
    return {
      packPath,
      idxPath,
      packSha: packSha.toString('hex'),
      objects: this.table.count,
      reader,
      close: () => this.close(),
    };
  }

  /** Releases the file; removes the partial pack unless finish() succeeded. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
    rmSync(this.tempPath, { force: true });
    this.cache.clear();
  }

  private parse(final: boolean): void {
    if (this.queued.length) {
      this.buf = this.buf.length
        ? Buffer.concat([this.buf, ...this.queued])
        : this.queued.length === 1
          ? (this.queued[0] as Buffer)
          : Buffer.concat(this.queued);
      this.queued = [];
      this.queuedBytes = 0;
    }
    const buf = this.buf;
    let pos = 0;
    if (this.total < 0) {
      if (buf.length < 12) return this.wait(0, final);
      const version = buf.readUInt32BE(4);
      if (buf.toString('latin1', 0, 4) !== 'PACK' || (version !== 2 && version !== 3))
        throw new PackFormatError('Not a git pack (bad header).');
      this.total = buf.readUInt32BE(8);
      this.packHash.update(buf.subarray(0, 12));
      pos = 12;
    }
    while (this.table.count < this.total) {
      const offset = this.bufOffset + pos;
      const header = parseObjectHeader(buf, pos, offset);
      if (!header) return this.wait(pos, final);
      let data: Buffer;
      let consumed: number;
      try {
        const out = inflateSync(buf.subarray(pos + header.headerLength), {
          info: true,
          chunkSize: Math.max(64, header.size + 1),
          maxOutputLength: Math.max(1, header.size + 1),
        }) as unknown as {
          buffer: Buffer;
          engine: { bytesWritten: number };
        };
        data = out.buffer;
        consumed = out.engine.bytesWritten;
      } catch (error) {
        // The object's stream goes on in bytes not received yet (or never, if the pack was cut).
        if ((error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR') return this.wait(pos, final);
        throw new PackFormatError(`Corrupt object at offset ${offset} of the pack: ${(error as Error).message}`);
      }
      if (data.length !== header.size)
        throw new PackFormatError(
          `Object at ${offset} inflated to ${data.length} bytes, the pack says ${header.size}.`,
        );
      const endPos = pos + header.headerLength + consumed;
      const raw = buf.subarray(pos, endPos);
      this.packHash.update(raw);
      const index = this.table.add(offset, this.bufOffset + endPos, crc32(raw));
      this.resolve(index, header, data);
      pos = endPos;
      this.report('Receiving objects', this.table.count);
    }
    this.buf = buf.subarray(pos);
    this.bufOffset += pos;
    this.waitFor = 0;
  }

  /** Keeps the unparsed tail and waits until it has at least doubled (no quadratic re-inflating). */
  private wait(pos: number, final: boolean): void {
    if (final) throw new PackFormatError('The pack ended early (truncated download).');
    this.buf = this.buf.subarray(pos);
    this.bufOffset += pos;
    this.waitFor = Math.max(this.buf.length * 2, this.buf.length + 1);
  }

  /** Names a freshly inflated object if it is whole or its delta base is cached; defers it otherwise. */
  private resolve(index: number, header: NonNullable<ReturnType<typeof parseObjectHeader>>, data: Buffer): void {
    let object: { type: ReturnType<typeof typeName>; data: Buffer } | undefined;
    if (header.baseOffset === undefined && header.baseOid === undefined) {
      object = { type: typeName(header.typeCode), data };
    } else {
      const baseOffset =
        header.typeCode === OBJ_OFS_DELTA ? header.baseOffset : this.table.offsetOfId(header.baseOid ?? '');
      const base = baseOffset === undefined ? undefined : this.cache.get(baseOffset);
      if (base) object = { type: base.type, data: applyDelta(data, base.data) };
    }
    if (!object) {
      this.deferred.push(index);
      return;
    }
    this.name(index, object);
  }

  private name(index: number, object: { type: ReturnType<typeof typeName>; data: Buffer }): void {
    this.table.setOid(index, objectId(object.type, object.data));
    this.cache.set(this.table.offsetAt(index), object);
  }

  /** Deltas whose base was not cached: read back from the file (bases first, via the reader). */
  private resolveDeferred(reader: PackReader): void {
    let pending = this.deferred;
    let done = 0;
    while (pending.length) {
      const next: number[] = [];
      for (const index of pending) {
        try {
          this.name(index, reader.readAt(this.table.offsetAt(index)));
          this.report('Resolving deltas', ++done, this.deferred.length);
        } catch (error) {
          // A ref-delta whose base is itself deferred further on: try again in the next round.
          if (error instanceof PackFormatError && /is not in the pack/.test(error.message)) next.push(index);
          else throw error;
        }
      }
      if (next.length === pending.length)
        throw new PackFormatError(`The pack has ${next.length} deltas whose base is missing.`);
      pending = next;
    }
  }

  private report(phase: PackIndexProgress['phase'], loaded: number, total = this.total): void {
    const percent = total > 0 ? Math.floor((100 * loaded) / total) : 100;
    // One event per percent, so the owning thread is not flooded with messages.
    if (percent === this.lastPercent && loaded !== total) return;
    this.lastPercent = percent;
    this.onProgress({ phase, loaded, total });
  }
}
