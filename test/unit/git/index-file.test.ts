import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { parseIndex, serializeIndex, type IndexEntry } from '../../../src-main/services/git/index-file';

/**
 * The index a prepared checkout carries is read back when the checkout is brought to a newer
 * commit (checkout-advance.ts): what serializeIndex wrote must come back exactly, and anything it
 * did not write must be refused rather than half understood.
 */
const oid = (n: number) => createHash('sha1').update(String(n)).digest();
const stat = (n: bigint) => ({
  ctimeNs: 1_700_000_000_123_456_789n + n,
  mtimeNs: 1_700_000_001_000_000_001n + n,
  dev: 2049n,
  ino: 1000n + n,
  uid: 1000n,
  gid: 1000n,
  size: 42n + n,
});
const entries: IndexEntry[] = [
  { path: Buffer.from('src/main.ts'), oid: oid(1), mode: 0o100644, stat: stat(1n) },
  { path: Buffer.from('run.sh'), oid: oid(2), mode: 0o100755, stat: stat(2n) },
  { path: Buffer.from('link'), oid: oid(3), mode: 0o120000, stat: stat(3n) },
  { path: Buffer.from('vendor/lib'), oid: oid(4), mode: 0o160000 },
  { path: Buffer.from(`${'d/'.repeat(2100)}long-name.txt`), oid: oid(5), mode: 0o100644, stat: stat(5n) },
  { path: Buffer.from('naïve.txt'), oid: oid(6), mode: 0o100644, stat: stat(6n) },
];

it('reads back exactly what serializeIndex wrote, long paths and entries without stat included', () => {
  const written = serializeIndex(entries);
  const read = parseIndex(written);
  expect(read.map((e) => e.path.toString())).toEqual(
    [...entries].sort((a, b) => Buffer.compare(a.path, b.path)).map((e) => e.path.toString()),
  );
  expect(serializeIndex(read)).toEqual(written);
  expect(read.find((e) => e.path.toString() === 'vendor/lib')?.stat).toBeUndefined();
  expect(read.find((e) => e.path.toString() === 'run.sh')).toEqual(entries[1]);
});

it('refuses an index it did not write: a flipped byte, another version, an extension, a cut', () => {
  const written = serializeIndex(entries);
  const flipped = Buffer.from(written);
  flipped[100] = (flipped[100] ?? 0) ^ 1;
  expect(() => parseIndex(flipped)).toThrow('checksum');

  const resign = (body: Buffer) => Buffer.concat([body, createHash('sha1').update(body).digest()]);
  const v3 = Buffer.from(written.subarray(0, -20));
  v3.writeUInt32BE(3, 4);
  expect(() => parseIndex(resign(v3))).toThrow('version 3');
  const withTree = Buffer.concat([written.subarray(0, -20), Buffer.from('TREE\0\0\0\0')]);
  expect(() => parseIndex(resign(withTree))).toThrow('extensions');
  const cut = Buffer.from(written.subarray(0, 200));
  expect(() => parseIndex(resign(cut))).toThrow('truncated');
  expect(() => parseIndex(Buffer.from('not an index at all, not at all'))).toThrow('no signature');
});
