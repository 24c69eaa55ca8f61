/**
 * Reading a repository's packs through their .idx files (pack-set.ts), as the clone cache's
 * isomorphic-git path reads its mirrors: every object git lists in a repository of several packs
 * (deltas within each, the last object of each pack included) comes back with git's type and bytes.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PackFormatError } from '../../../src-main/services/git/pack-format';
import { openPackSet } from '../../../src-main/services/git/pack-set';
import { commitAll, gitBytes as git, scratchRepo } from '../../support/git-cli';

let root: string;
let work: string;

beforeAll(async () => {
  ({ root, work } = await scratchRepo('pack-set-'));
  // Three packs: each round's new objects packed on their own, versions of a file as deltas.
  for (let round = 0; round < 3; round++) {
    for (let f = 0; f < 20; f++)
      await writeFile(
        join(work, `file-${f}.txt`),
        Array.from({ length: 80 }, (_, l) => `line ${l} of ${f}${l === round ? ' changed' : ''}\n`).join(''),
      );
    await commitAll(work, `round ${round}`);
    await git(['tag', '-a', '-m', `tag ${round}`, `v${round}`], work);
    await git(['repack', '-q', '-d'], work);
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

it('reads every object of every pack with the type and bytes git gives', async () => {
  const packs = openPackSet(join(work, '.git', 'objects', 'pack'));
  try {
    expect(packs.packs.length).toBeGreaterThanOrEqual(3);
    const listing = (await git(['cat-file', '--batch-all-objects', '--batch-check'], work)).toString('latin1');
    const objects = listing
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string, string]);
    expect(objects.length).toBeGreaterThan(60);
    for (const [oid, type, size] of objects) {
      expect(packs.has(oid)).toBe(true);
      const object = packs.read(oid);
      expect(object.type).toBe(type);
      expect(object.data.length).toBe(Number(size));
      expect(object.data.equals(await git(['cat-file', type, oid], work))).toBe(true);
    }
  } finally {
    packs.close();
  }
});

it('reads them in pack order, uncached, with the same bytes (the read-ahead a checkout uses)', async () => {
  const packs = openPackSet(join(work, '.git', 'objects', 'pack'));
  try {
    const listing = (await git(['cat-file', '--batch-all-objects', '--batch-check'], work)).toString('latin1');
    const objects = listing
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string, string])
      .sort((a, b) => (packs.position(a[0]) as number) - (packs.position(b[0]) as number));
    for (const [oid, type] of objects) {
      const object = packs.read(oid, { keep: false });
      expect(object.type).toBe(type);
      expect(object.data.equals(await git(['cat-file', type, oid], work))).toBe(true);
    }
  } finally {
    packs.close();
  }
});

it('says when no pack holds an object', () => {
  const packs = openPackSet(join(work, '.git', 'objects', 'pack'));
  try {
    expect(packs.has('0'.repeat(40))).toBe(false);
    expect(packs.has('not an id')).toBe(false);
    expect(() => packs.read('f'.repeat(40))).toThrow(PackFormatError);
  } finally {
    packs.close();
  }
});
