/**
 * The native pack indexer and checkout of the isomorphic-git clone path, checked against git
 * itself on real packs: the .idx we write must be byte-for-byte the one `git index-pack` writes,
 * `git verify-pack` must accept it, and a checkout from it must leave a clean `git status`, the
 * work tree git's checkout of the same commit leaves and git's index, byte for byte but for the
 * times and inode numbers (with our stat fields those of the files written).
 */
import { chmod, lstat, mkdir, readFile, readdir, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutFromPack } from '../../../src-main/services/git/checkout';
import { applyDelta, ObjectCache } from '../../../src-main/services/git/pack-format';
import { PackIndexer, type IndexedPack } from '../../../src-main/services/git/pack-indexer';
import { openPackSet } from '../../../src-main/services/git/pack-set';
import { commitAll, gitText as git, scratchRepo } from '../../support/git-cli';

let root: string;
let work: string;
let head: string;

/** Text that changes a little between versions, so git stores most versions as deltas. */
const text = (seed: number, version: number) =>
  Array.from(
    { length: 120 },
    (_, line) => `line ${line} of file ${seed}${line % 17 === version % 17 ? ` changed in v${version}` : ''}\n`,
  ).join('');

beforeAll(async () => {
  ({ root, work } = await scratchRepo('cospec-pack-test-'));
  for (let v = 0; v < 6; v++) {
    for (let f = 0; f < 30; f++) {
      await mkdir(join(work, 'src', `dir${f % 4}`, 'deep'), { recursive: true });
      await writeFile(
        join(work, 'src', `dir${f % 4}`, f % 3 ? `file${f}.txt` : join('deep', `file${f}.txt`)),
        text(f, v),
      );
    }
    await writeFile(join(work, 'big.bin'), Buffer.alloc(300_000 + v, v));
    await commitAll(work, `version ${v}`);
  }
  await writeFile(join(work, 'run.sh'), '#!/bin/sh\necho hi\n');
  await chmod(join(work, 'run.sh'), 0o755);
  await writeFile(join(work, 'empty.txt'), '');
  await symlink('src/dir0/file1.txt', join(work, 'link'));
  await writeFile(join(work, 'ünïcode name.txt'), 'utf-8 path\n');
  await commitAll(work, 'modes');
  head = (await git(['rev-parse', 'HEAD'], work)).trim();
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A pack of the whole history as git writes it, and git's own index of it. */
async function gitPack(name: string, offsetDeltas: boolean): Promise<{ pack: Buffer; idx: Buffer }> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  const revs = await git(['rev-list', '--objects', '--all'], work);
  const sha = (
    await git(['pack-objects', '-q', ...(offsetDeltas ? ['--delta-base-offset'] : []), join(dir, 'pack')], work, revs)
  ).trim();
  return { pack: await readFile(join(dir, `pack-${sha}.pack`)), idx: await readFile(join(dir, `pack-${sha}.idx`)) };
}

/** Feeds the pack in uneven chunks, as a network would deliver it. */
function feed(indexer: PackIndexer, pack: Buffer, sizes: number[]): IndexedPack {
  let pos = 0;
  for (let i = 0; pos < pack.length; i++) {
    const n = sizes[i % sizes.length] as number;
    indexer.push(pack.subarray(pos, pos + n));
    pos += n;
  }
  return indexer.finish();
}

describe.each([
  ['ofs-delta', true],
  ['ref-delta', false],
])('PackIndexer on a real pack with %s bases', (name, offsetDeltas) => {
  it('writes the .idx git index-pack writes, byte for byte, and git verify-pack accepts it', async () => {
    const { pack, idx } = await gitPack(`pack-${name}`, offsetDeltas);
    const out = join(root, `indexed-${name}`);
    await mkdir(out);
    const progress: string[] = [];
    const result = feed(new PackIndexer(out, (p) => progress.push(p.phase)), pack, [1, 7, 4096, 65519, 33, 100_000]);
    try {
      expect((await readFile(result.idxPath)).equals(idx)).toBe(true);
      expect((await readFile(result.packPath)).equals(pack)).toBe(true);
      expect(progress).toContain('Receiving objects');
      await expect(git(['verify-pack', result.idxPath], out)).resolves.toBeDefined();
      // No temporary file left next to the pair.
      expect((await readdir(out)).sort()).toEqual([`pack-${result.packSha}.idx`, `pack-${result.packSha}.pack`]);
    } finally {
      result.close();
    }
  }, 60_000);
});

describe('PackIndexer refuses damaged packs', () => {
  it('fails on a truncated pack and removes the partial file', async () => {
    const { pack } = await gitPack('pack-truncated', true);
    const out = join(root, 'truncated');
    await mkdir(out);
    const indexer = new PackIndexer(out);
    expect(() => feed(indexer, pack.subarray(0, pack.length - 500), [65519])).toThrow(/ended early|truncated/i);
    indexer.close();
    expect(await readdir(out)).toEqual([]);
  });

  it('fails on a flipped byte (inflate error or checksum mismatch)', async () => {
    const { pack } = await gitPack('pack-corrupt', true);
    const bad = Buffer.from(pack);
    const at = Math.floor(bad.length / 2);
    bad[at] = (bad[at] ?? 0) ^ 0xff;
    const out = join(root, 'corrupt');
    await mkdir(out);
    const indexer = new PackIndexer(out);
    expect(() => feed(indexer, bad, [65519])).toThrow(/corrupt|checksum|size|delta/i);
    indexer.close();
  });
});

describe('checkoutFromPack', () => {
  it('writes the work tree and an index that git sees as clean', async () => {
    const { pack } = await gitPack('pack-checkout', true);
    const clone = join(root, 'clone');
    await git(['init', '-q', '-b', 'main', clone], root);
    const packDir = join(clone, '.git', 'objects', 'pack');
    const indexed = feed(new PackIndexer(packDir), pack, [65519]);
    try {
      await git(['update-ref', 'refs/heads/main', head], clone);
      const seen: number[] = [];
      const { files } = await checkoutFromPack({
        dir: clone,
        gitdir: join(clone, '.git'),
        reader: indexed.reader,
        commit: head,
        signal: new AbortController().signal,
        onProgress: (loaded) => seen.push(loaded),
      });
      expect(files).toBe((await git(['ls-tree', '-r', '--name-only', 'HEAD'], work)).trim().split('\n').length);
      expect(seen.at(-1)).toBe(files);
    } finally {
      indexed.close();
    }
    expect(await git(['status', '--porcelain'], clone)).toBe('');
    expect(await git(['ls-files', '-s'], clone)).toBe(await git(['ls-files', '-s'], work));
    await git(['diff-files', '--quiet'], clone);
    expect(await readFile(join(clone, 'src', 'dir1', 'file1.txt'), 'utf8')).toBe(text(1, 5));
    expect((await readFile(join(clone, 'big.bin'))).equals(Buffer.alloc(300_005, 5))).toBe(true);
    await git(['fsck', '--strict'], clone);
  }, 60_000);

  it('leaves the work tree and the index git checkout leaves, from the indexer and from a pack set', async () => {
    const { pack } = await gitPack('pack-same-as-git', true);
    const reference = join(root, 'reference');
    await git(['clone', '-q', '--branch', 'main', work, reference], root);
    for (const via of ['indexer', 'pack set'] as const) {
      const clone = join(root, `clone-same-${via.replace(' ', '-')}`);
      await git(['init', '-q', '-b', 'main', clone], root);
      const packDir = join(clone, '.git', 'objects', 'pack');
      const indexed = feed(new PackIndexer(packDir), pack, [65519]);
      const packs = via === 'pack set' ? openPackSet(packDir) : undefined;
      try {
        await git(['update-ref', 'refs/heads/main', head], clone);
        await checkoutFromPack({
          dir: clone,
          gitdir: join(clone, '.git'),
          reader: packs ?? indexed.reader,
          commit: head,
          signal: new AbortController().signal,
          onProgress: () => undefined,
        });
      } finally {
        packs?.close();
        indexed.close();
      }
      expect(await workTree(clone)).toEqual(await workTree(reference));
      const ours = indexEntries(await readFile(join(clone, '.git', 'index')));
      const theirs = indexEntries(await readFile(join(reference, '.git', 'index')));
      expect(ours.map((e) => e.path)).toEqual(theirs.map((e) => e.path));
      for (const [i, e] of ours.entries()) {
        // Times and inode numbers (the first 24 bytes) differ between any two checkouts.
        expect(e.bytes.subarray(24).equals((theirs[i] as IndexEntryBytes).bytes.subarray(24)), e.path).toBe(true);
        const s = await lstat(join(clone, e.path), { bigint: true });
        const u32 = (n: bigint) => Number(n & 0xffffffffn);
        const fields = [s.ctimeNs / 1_000_000_000n, s.ctimeNs % 1_000_000_000n, s.mtimeNs / 1_000_000_000n];
        expect([...fields, s.mtimeNs % 1_000_000_000n, s.dev, s.ino].map(u32), e.path).toEqual(
          Array.from({ length: 6 }, (_, k) => e.bytes.readUInt32BE(k * 4)),
        );
      }
      expect(await git(['status', '--porcelain'], clone)).toBe('');
    }
  }, 60_000);

  it('stops on cancel', async () => {
    const { pack } = await gitPack('pack-cancel', true);
    const clone = join(root, 'clone-cancel');
    await git(['init', '-q', '-b', 'main', clone], root);
    const indexed = feed(new PackIndexer(join(clone, '.git', 'objects', 'pack')), pack, [65519]);
    const controller = new AbortController();
    controller.abort();
    try {
      await expect(
        checkoutFromPack({
          dir: clone,
          gitdir: join(clone, '.git'),
          reader: indexed.reader,
          commit: head,
          signal: controller.signal,
          onProgress: () => undefined,
        }),
      ).rejects.toMatchObject({ code: 'CANCELLED' });
    } finally {
      indexed.close();
    }
  });
});

interface IndexEntryBytes {
  path: string;
  /** The entry as stored, from its ctime to its last padding byte. */
  bytes: Buffer;
}

/** The entries of a version 2 index (git's Documentation/gitformat-index.txt). */
function indexEntries(index: Buffer): IndexEntryBytes[] {
  expect(index.toString('latin1', 0, 4)).toBe('DIRC');
  expect(index.readUInt32BE(4)).toBe(2);
  const entries: IndexEntryBytes[] = [];
  let at = 12;
  for (let i = 0; i < index.readUInt32BE(8); i++) {
    const length = index.readUInt16BE(at + 60) & 0xfff;
    const size = Math.floor((62 + length + 8) / 8) * 8;
    entries.push({ path: index.toString('utf8', at + 62, at + 62 + length), bytes: index.subarray(at, at + size) });
    at += size;
  }
  return entries;
}

/** Every path under `dir` but .git, with its kind, permission bits and content (or link target). */
async function workTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir, { recursive: true })).sort()) {
    if (name === '.git' || name.startsWith(`.git/`)) continue;
    const path = join(dir, name);
    const s = await lstat(path);
    if (s.isSymbolicLink()) out.push(`${name} link ${await readlink(path)}`);
    else if (s.isDirectory()) out.push(`${name} dir`);
    else out.push(`${name} ${(s.mode & 0o777).toString(8)} ${(await readFile(path)).toString('base64')}`);
  }
  return out;
}

describe('applyDelta', () => {
  it('refuses a delta for a base of another size', () => {
    // Delta header: base size 3, result size 1, then insert 1 byte "x".
    expect(() => applyDelta(Uint8Array.from([4, 1, 1, 0x78]), Buffer.from('abc'))).toThrow(/base has the wrong size/);
    expect(applyDelta(Uint8Array.from([3, 1, 1, 0x78]), Buffer.from('abc')).toString()).toBe('x');
  });
});

describe('ObjectCache (ring buffer of delta bases)', () => {
  it('returns copies, keeps recent objects and drops the oldest as it wraps', () => {
    const cache = new ObjectCache(100);
    const blob = (byte: number, length: number) => ({ type: 'blob' as const, data: Buffer.alloc(length, byte) });
    cache.set(0, blob(1, 10));
    cache.set(10, blob(2, 12));
    const hit = cache.get(0);
    expect(hit?.data.equals(Buffer.alloc(10, 1))).toBe(true);
    // A copy: changing it leaves the cached bytes alone.
    hit?.data.fill(9);
    expect(cache.get(0)?.data.equals(Buffer.alloc(10, 1))).toBe(true);
    // Larger than an eighth of the ring: not cached.
    cache.set(20, blob(3, 13));
    expect(cache.get(20)).toBeUndefined();
    // Fill past the end: the ring wraps and overwrites the oldest entries only.
    for (let i = 0; i < 8; i++) cache.set(100 + i, blob(10 + i, 12));
    expect(cache.get(0)).toBeUndefined();
    expect(cache.get(10)).toBeUndefined();
    for (let i = 2; i < 8; i++) expect(cache.get(100 + i)?.data.equals(Buffer.alloc(12, 10 + i))).toBe(true);
    // Whatever is still cached reads back intact after many more wraps.
    for (let i = 0; i < 200; i++) cache.set(1000 + i, blob(i % 250, 1 + (i % 12)));
    for (let i = 190; i < 200; i++)
      expect(cache.get(1000 + i)?.data.equals(Buffer.alloc(1 + (i % 12), i % 250))).toBe(true);
  });
});
