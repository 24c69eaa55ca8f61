import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';

/** The stat fields the index keeps (a BigIntStats has them; so does a plain copy from another thread). */
export type IndexStat = Pick<BigIntStats, 'ctimeNs' | 'mtimeNs' | 'dev' | 'ino' | 'uid' | 'gid' | 'size'>;

/** One entry of git's index (the staging area) as a fresh checkout leaves it. */
export interface IndexEntry {
  /** Path relative to the work tree, '/'-separated, as bytes (UTF-8). */
  path: Buffer;
  oid: Buffer;
  /** 0o100644, 0o100755, 0o120000 (symlink) or 0o160000 (submodule). */
  mode: number;
  /** The written file's stat, so git sees it unchanged without re-reading it; zeros when absent. */
  stat?: IndexStat;
}

const NS = 1_000_000_000n;
const u32 = (n: bigint) => Number(n & 0xffffffffn);

/**
 * Serialises an index, version 2 (git's Documentation/gitformat-index.txt), entries sorted by
 * path bytes as git requires. Written in one piece instead of isomorphic-git's per-file index
 * updates during checkout.
 */
export function serializeIndex(entries: IndexEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => Buffer.compare(a.path, b.path));
  const size = 12 + sorted.reduce((sum, e) => sum + entryLength(e.path.length), 0);
  const out = Buffer.alloc(size + 20);
  out.write('DIRC', 0, 'latin1');
  out.writeUInt32BE(2, 4);
  out.writeUInt32BE(sorted.length, 8);
  let at = 12;
  for (const e of sorted) {
    const s = e.stat;
    const fields = s
      ? [
          s.ctimeNs / NS,
          s.ctimeNs % NS,
          s.mtimeNs / NS,
          s.mtimeNs % NS,
          s.dev,
          s.ino,
          BigInt(e.mode),
          s.uid,
          s.gid,
          s.size,
        ]
      : [0n, 0n, 0n, 0n, 0n, 0n, BigInt(e.mode), 0n, 0n, 0n];
    for (const f of fields) {
      out.writeUInt32BE(u32(f), at);
      at += 4;
    }
    e.oid.copy(out, at);
    at += 20;
    out.writeUInt16BE(Math.min(e.path.length, 0xfff), at);
    at += 2;
    e.path.copy(out, at);
    // The padding NULs (one to eight) are already there: Buffer.alloc zero-fills.
    at += entryLength(e.path.length) - 62;
  }
  createHash('sha1').update(out.subarray(0, size)).digest().copy(out, size);
  return out;
}

/** 62 fixed bytes and the path, NUL-padded to a multiple of 8 with at least one NUL. */
function entryLength(pathLength: number): number {
  return Math.floor((62 + pathLength + 8) / 8) * 8;
}

/**
 * Reads an index as serializeIndex writes it (version 2, no extensions), checksum checked: the
 * index of a checkout the app prepared earlier (prepared-checkout.ts), updated when it is brought
 * to a newer commit. Anything else (another version, an extension, a bad checksum) throws, and the
 * caller checks out afresh.
 */
export function parseIndex(data: Buffer): IndexEntry[] {
  const bad = (why: string) => new Error(`Unexpected index file: ${why}.`);
  if (data.length < 32 || data.toString('latin1', 0, 4) !== 'DIRC') throw bad('no signature');
  if (data.readUInt32BE(4) !== 2) throw bad(`version ${data.readUInt32BE(4)}`);
  const end = data.length - 20;
  if (!createHash('sha1').update(data.subarray(0, end)).digest().equals(data.subarray(end))) throw bad('checksum');
  const count = data.readUInt32BE(8);
  const entries: IndexEntry[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + 62 > end) throw bad('truncated');
    const f = (n: number) => BigInt(data.readUInt32BE(at + n * 4));
    const mode = data.readUInt32BE(at + 24);
    const oid = Buffer.from(data.subarray(at + 40, at + 60));
    const flags = data.readUInt16BE(at + 60);
    // Stage bits or the extended flag: not something serializeIndex writes.
    if (flags & 0xf000) throw bad('flags');
    let length = flags & 0xfff;
    if (length === 0xfff) length = data.indexOf(0, at + 62) - (at + 62);
    if (length < 0 || at + 62 + length >= end) throw bad('truncated path');
    const path = Buffer.from(data.subarray(at + 62, at + 62 + length));
    const zero = [f(0), f(1), f(2), f(3), f(4), f(5), f(7), f(8), f(9)].every((v) => v === 0n);
    entries.push({
      path,
      oid,
      mode,
      ...(zero
        ? {}
        : {
            stat: {
              ctimeNs: f(0) * NS + f(1),
              mtimeNs: f(2) * NS + f(3),
              dev: f(4),
              ino: f(5),
              uid: f(7),
              gid: f(8),
              size: f(9),
            },
          }),
    });
    at += entryLength(length);
  }
  if (at !== end) throw bad('extensions or trailing bytes');
  return entries;
}
