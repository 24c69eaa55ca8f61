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
