import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';

/**
 * Reads the commits out of a pushed pack (gitformat-pack) — only to check that an update of a
 * branch is a fast-forward before it reaches GitLab. The pack comes from the sandbox, so it is
 * parsed as hostile bytes: nothing is executed or written, every length is checked against the
 * buffer, inflated sizes are bounded, and object names are computed here from the content (a
 * commit cannot claim a name it does not hash to). Deltas are resolved only when their base is in
 * the same pack; a commit that cannot be read simply is not in the result, so the caller's check
 * fails closed.
 */

const OBJ_COMMIT = 1;
const OBJ_OFS_DELTA = 6;
const OBJ_REF_DELTA = 7;
const TYPE_NAMES: Record<number, string> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

/** Bounds on the work a pack may cause (a small pack can inflate to a lot: a decompression bomb). */
const MAX_OBJECT = 64 * 1024 * 1024;
const MAX_INFLATED_TOTAL = 1024 * 1024 * 1024;

export interface PackCommits {
  /** commit id → its parents */
  parents: Map<string, string[]>;
  error?: string;
}

interface Entry {
  offset: number;
  type: number;
  /** The inflated body (commits, and deltas' instruction streams); absent for what is not needed. */
  data?: Buffer;
  baseOffset?: number;
  baseId?: string;
}

export function commitsInPack(pack: Buffer, hashLength: 20 | 32 = 20): PackCommits {
  const parents = new Map<string, string[]>();
  if (pack.length === 0) return { parents };
  if (pack.length < 12 || pack.toString('latin1', 0, 4) !== 'PACK') return { parents, error: 'not a pack' };
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) return { parents, error: `pack version ${version}` };
  const count = pack.readUInt32BE(8);
  const algorithm = hashLength === 20 ? 'sha1' : 'sha256';
  const entries: Entry[] = [];
  const byOffset = new Map<number, Entry>();
  let pos = 12;
  let inflatedTotal = 0;
  for (let i = 0; i < count; i++) {
    const offset = pos;
    if (pos >= pack.length) return { parents, error: 'truncated pack' };
    let c = pack[pos++]!;
    const type = (c >> 4) & 7;
    let size = c & 15;
    let shift = 4;
    while (c & 0x80) {
      if (pos >= pack.length || shift > 35) return { parents, error: 'bad object header' };
      c = pack[pos++]!;
      size += (c & 0x7f) * 2 ** shift;
      shift += 7;
    }
    const entry: Entry = { offset, type };
    if (type === OBJ_OFS_DELTA) {
      if (pos >= pack.length) return { parents, error: 'truncated delta offset' };
      c = pack[pos++]!;
      let back = c & 0x7f;
      while (c & 0x80) {
        if (pos >= pack.length || back > 2 ** 40) return { parents, error: 'bad delta offset' };
        c = pack[pos++]!;
        back = (back + 1) * 128 + (c & 0x7f);
      }
      entry.baseOffset = offset - back;
    } else if (type === OBJ_REF_DELTA) {
      if (pos + hashLength > pack.length) return { parents, error: 'truncated delta base' };
      entry.baseId = pack.toString('hex', pos, pos + hashLength);
      pos += hashLength;
    } else if (!TYPE_NAMES[type]) return { parents, error: `unknown object type ${type}` };
    if (size > MAX_OBJECT) return { parents, error: `an object of ${size} bytes is too large to check` };
    inflatedTotal += size;
    if (inflatedTotal > MAX_INFLATED_TOTAL) return { parents, error: 'the pack inflates to too much to check' };
    let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      inflated = inflateSync(pack.subarray(pos), {
        info: true,
        maxOutputLength: size + 1,
      }) as unknown as typeof inflated;
    } catch {
      return { parents, error: 'corrupt object data' };
    }
    pos += inflated.engine.bytesWritten;
    if (inflated.buffer.length !== size) return { parents, error: 'object size mismatch' };
    if (type === OBJ_COMMIT || type === OBJ_OFS_DELTA || type === OBJ_REF_DELTA) entry.data = inflated.buffer;
    entries.push(entry);
    byOffset.set(offset, entry);
  }

  // Object ids of the non-delta commits, then resolve deltas whose chain ends in a commit.
  const resolved = new Map<number, { type: number; data: Buffer }>();
  const commitIds = new Map<string, Buffer>();
  const addCommit = (data: Buffer) => {
    const id = createHash(algorithm).update(`commit ${data.length}\0`).update(data).digest('hex');
    commitIds.set(id, data);
  };
  for (const e of entries) {
    if (e.type === OBJ_COMMIT && e.data) {
      resolved.set(e.offset, { type: OBJ_COMMIT, data: e.data });
      addCommit(e.data);
    }
  }
  const resolve = (e: Entry, depth: number): { type: number; data: Buffer } | undefined => {
    const hit = resolved.get(e.offset);
    if (hit) return hit;
    if (depth > 64 || !e.data) return undefined;
    let base: { type: number; data: Buffer } | undefined;
    if (e.baseOffset !== undefined) {
      const b = byOffset.get(e.baseOffset);
      base = b ? resolve(b, depth + 1) : undefined;
    } else if (e.baseId !== undefined) {
      const data = commitIds.get(e.baseId);
      base = data ? { type: OBJ_COMMIT, data } : undefined;
    }
    if (!base || base.type !== OBJ_COMMIT) return undefined;
    const data = applyDelta(base.data, e.data);
    if (!data) return undefined;
    const out = { type: base.type, data };
    resolved.set(e.offset, out);
    addCommit(data);
    return out;
  };
  // REF_DELTA bases may appear after their deltas: a second pass picks those up.
  for (let pass = 0; pass < 2; pass++) for (const e of entries) if (e.type !== OBJ_COMMIT) resolve(e, 0);

  for (const [id, data] of commitIds) parents.set(id, commitParents(data));
  return { parents };
}

function commitParents(data: Buffer): string[] {
  const headerEnd = data.indexOf('\n\n');
  const header = data.toString('utf8', 0, headerEnd < 0 ? data.length : headerEnd);
  const out: string[] = [];
  for (const line of header.split('\n')) {
    const m = /^parent ([0-9a-f]{40}|[0-9a-f]{64})$/.exec(line);
    if (m) out.push(m[1]!);
  }
  return out;
}

function readVarint(buf: Buffer, pos: number): { value: number; pos: number } | undefined {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length || shift > 35) return undefined;
    const c = buf[pos++]!;
    value += (c & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(c & 0x80)) return { value, pos };
  }
}

/** Applies a git delta (copy/insert instructions) to its base; undefined when it does not fit. */
export function applyDelta(base: Buffer, delta: Buffer): Buffer | undefined {
  const src = readVarint(delta, 0);
  if (!src || src.value !== base.length) return undefined;
  const dst = readVarint(delta, src.pos);
  if (!dst || dst.value > MAX_OBJECT) return undefined;
  const out = Buffer.alloc(dst.value);
  let o = 0;
  let pos = dst.pos;
  while (pos < delta.length) {
    const op = delta[pos++]!;
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      for (let i = 0; i < 4; i++) if (op & (1 << i)) offset += (delta[pos++] ?? 0) * 2 ** (8 * i);
      for (let i = 0; i < 3; i++) if (op & (0x10 << i)) size += (delta[pos++] ?? 0) * 2 ** (8 * i);
      if (size === 0) size = 0x10000;
      if (offset + size > base.length || o + size > out.length) return undefined;
      base.copy(out, o, offset, offset + size);
      o += size;
    } else if (op > 0) {
      if (pos + op > delta.length || o + op > out.length) return undefined;
      delta.copy(out, o, pos, pos + op);
      o += op;
      pos += op;
    } else return undefined;
  }
  return o === out.length ? out : undefined;
}

/**
 * Whether `to` descends from `from` through commits in the pack only. A parent outside the pack
 * other than `from` itself cannot be checked here, so that path counts as not reaching it.
 */
export function reachesThroughPack(commits: PackCommits, to: string, from: string, limit = 100_000): boolean {
  if (to === from) return true;
  const seen = new Set<string>();
  const queue = [to];
  while (queue.length && seen.size < limit) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const p of commits.parents.get(id) ?? []) {
      if (p === from) return true;
      if (commits.parents.has(p)) queue.push(p);
    }
  }
  return false;
}
