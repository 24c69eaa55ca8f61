import { PackFormatError } from './pack-format';

/**
 * Where each object of a pack lies and what it is called, in typed arrays rather than one
 * JavaScript object and one Buffer per object: a pack of 25,000 objects costs about 1 MB here
 * instead of several, which counts against the clone's 200 MB budget.
 * Objects are added in pack order, so offsets ascend and a lookup by offset is a binary search.
 */
export class ObjectTable {
  count = 0;
  private capacity = 0;
  private offsets = new Float64Array(0);
  private ends = new Float64Array(0);
  private crcs = new Uint32Array(0);
  private oids = Buffer.alloc(0);
  private named = new Uint8Array(0);
  /** Index by id (hex), only built if a ref-delta needs a lookup by id before sealing. */
  private byId: Map<string, number> | undefined;
  /** Indices in id order, once sealed. */
  private sorted: Uint32Array | undefined;

  add(offset: number, end: number, crc: number): number {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.offsets[i] = offset;
    this.ends[i] = end;
    this.crcs[i] = crc;
    return i;
  }

  setOid(i: number, oid: Uint8Array): void {
    this.oids.set(oid, i * 20);
    this.named[i] = 1;
    this.byId?.set(Buffer.from(oid).toString('hex'), i);
  }

  isNamed(i: number): boolean {
    return this.named[i] === 1;
  }

  offsetAt(i: number): number {
    return this.offsets[i] as number;
  }

  oidAt(i: number): Buffer {
    return this.oids.subarray(i * 20, i * 20 + 20);
  }

  /** The end of the object starting at `offset`, or undefined if none starts there. */
  endOf(offset: number): number | undefined {
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.offsets[mid] as number;
      if (at === offset) return this.ends[mid];
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  /** The offset of the object with this id (hex), if the pack holds it and it is named yet. */
  offsetOfId(hex: string): number | undefined {
    if (this.sorted) {
      const want = Buffer.from(hex, 'hex');
      if (want.length !== 20) return undefined;
      let lo = 0;
      let hi = this.sorted.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const i = this.sorted[mid] as number;
        const c = this.oids.compare(want, 0, 20, i * 20, i * 20 + 20);
        if (c === 0) return this.offsets[i];
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    }
    if (!this.byId) {
      this.byId = new Map();
      for (let i = 0; i < this.count; i++) if (this.named[i]) this.byId.set(this.oidAt(i).toString('hex'), i);
    }
    const i = this.byId.get(hex);
    return i === undefined ? undefined : this.offsets[i];
  }

  /** Sorts by id once every object is named; lookups by id then use the sorted table. */
  seal(): void {
    for (let i = 0; i < this.count; i++)
      if (!this.named[i]) throw new PackFormatError('An object of the pack was not resolved.');
    const order = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) order[i] = i;
    // buf.compare(target, tStart, tEnd, sStart, sEnd) compares the source range with the target range.
    order.sort((a, b) => this.oids.compare(this.oids, b * 20, b * 20 + 20, a * 20, a * 20 + 20));
    this.sorted = order;
    this.byId = undefined;
  }

  /** The pack index, version 2 (git's Documentation/gitformat-pack.txt), byte for byte as git writes it. */
  idxV2(packSha: Buffer, sha1: (data: Buffer) => Buffer): Buffer {
    if (!this.sorted) this.seal();
    const sorted = this.sorted as Uint32Array;
    const n = sorted.length;
    let large = 0;
    for (let i = 0; i < n; i++) if ((this.offsets[i] as number) >= 0x80000000) large++;
    const out = Buffer.alloc(8 + 256 * 4 + n * 28 + large * 8 + 40);
    out.writeUInt32BE(0xff744f63, 0);
    out.writeUInt32BE(2, 4);
    const fanout = 8;
    const oids = fanout + 1024;
    const crcs = oids + n * 20;
    const offsets = crcs + n * 4;
    const largeAt = offsets + n * 4;
    let largeIndex = 0;
    const counts = new Uint32Array(256);
    for (let k = 0; k < n; k++) {
      const i = sorted[k] as number;
      this.oids.copy(out, oids + k * 20, i * 20, i * 20 + 20);
      const first = this.oids[i * 20] as number;
      counts[first] = (counts[first] as number) + 1;
      out.writeUInt32BE(this.crcs[i] as number, crcs + k * 4);
      const offset = this.offsets[i] as number;
      if (offset < 0x80000000) {
        out.writeUInt32BE(offset, offsets + k * 4);
      } else {
        out.writeUInt32BE((0x80000000 | largeIndex) >>> 0, offsets + k * 4);
        out.writeBigUInt64BE(BigInt(offset), largeAt + largeIndex * 8);
        largeIndex++;
      }
    }
    let total = 0;
    for (let byte = 0; byte < 256; byte++) {
      total += counts[byte] as number;
      out.writeUInt32BE(total, fanout + byte * 4);
    }
    const tail = largeAt + large * 8;
    packSha.copy(out, tail);
    sha1(out.subarray(0, tail + 20)).copy(out, tail + 20);
    return out;
  }

  private grow(): void {
    const capacity = Math.max(1024, this.capacity * 2);
    const offsets = new Float64Array(capacity);
    offsets.set(this.offsets);
    const ends = new Float64Array(capacity);
    ends.set(this.ends);
    const crcs = new Uint32Array(capacity);
    crcs.set(this.crcs);
    const oids = Buffer.alloc(capacity * 20);
    this.oids.copy(oids);
    const named = new Uint8Array(capacity);
    named.set(this.named);
    this.offsets = offsets;
    this.ends = ends;
    this.crcs = crcs;
    this.oids = oids;
    this.named = named;
    this.capacity = capacity;
  }
}
