import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewFile } from '../../../src-shared/model/review';
import { firstPage, localDiff, localFileDiffs, type DiffLimits } from '../../../src-main/services/review/local-diff';
import { lines, TempRepo } from './repo';

/*
 * Which files get() sends with hunks: a prefix of the diff's files within a budget of changed
 * lines and files. Too-large and binary files take no budget and are never deferred.
 */

describe('firstPage', () => {
  const limits = (lines: number, files: number): DiffLimits => ({
    maxFileChangedLines: 1_000,
    maxSingleFileChangedLines: 10_000,
    firstPageChangedLines: lines,
    firstPageFiles: files,
  });
  const page = (sizes: number[], l: DiffLimits) =>
    [
      ...firstPage(
        sizes.map((n, i) => ({ i, n })),
        (x) => x.n,
        l,
      ),
    ].map((x) => x.i);

  it('takes files in order until the next would pass the budget', () => {
    expect(page([10, 10, 10, 10], limits(25, 40))).toEqual([0, 1]);
    expect(page([10, 10, 10, 10], limits(30, 40))).toEqual([0, 1, 2]);
  });

  it('stops at the file count', () => {
    expect(page([1, 1, 1, 1], limits(100, 3))).toEqual([0, 1, 2]);
  });

  it('always holds the first file, however big, and is a prefix (a small file after a big one waits)', () => {
    expect(page([500, 1, 1], limits(100, 40))).toEqual([0]);
    expect(page([50, 500, 1], limits(100, 40))).toEqual([0]);
  });
});

describe('localDiff with a first page', () => {
  let repo: TempRepo;
  let files: ReviewFile[];
  let range: { base: string; head: string };
  const limits: DiffLimits = {
    maxFileChangedLines: 100,
    maxSingleFileChangedLines: 10_000,
    firstPageChangedLines: 30,
    firstPageFiles: 40,
  };

  beforeAll(() => {
    repo = new TempRepo();
    repo.write('a.txt', 'a\n').write('c.txt', 'c\n').write('e.txt', 'e\n');
    const base = repo.commit('base');
    repo.write('a.txt', lines(20, 'a')); // 20 changed lines: first page
    repo.write('b-big.txt', lines(200, 'b')); // too large: no budget, stays tooLarge
    repo.write('c.txt', lines(20, 'c')); // 20 more would pass 30: deferred
    repo.write('d.bin', Buffer.from([0, 1, 2, 3, 0, 255])); // binary: never deferred
    repo.write('e.txt', lines(5, 'e')); // after the page: deferred
    const head = repo.commit('head');
    range = { base, head };
  });
  afterAll(() => repo.dispose());

  it('marks the files past the page deferred, with their counts, and leaves too-large and binary files as they are', async () => {
    files = await localDiff(repo.reader, range.base, range.head, limits);
    const state = Object.fromEntries(
      files.map((f) => [
        f.newPath,
        {
          deferred: f.deferred ?? false,
          tooLarge: f.tooLarge,
          binary: f.isBinary,
          hunks: f.hunks.length > 0,
          changed: f.additions + f.deletions,
        },
      ]),
    );
    expect(state).toEqual({
      'a.txt': { deferred: false, tooLarge: false, binary: false, hunks: true, changed: 21 },
      'b-big.txt': { deferred: false, tooLarge: true, binary: false, hunks: false, changed: 200 },
      'c.txt': { deferred: true, tooLarge: false, binary: false, hunks: false, changed: 21 },
      'd.bin': { deferred: false, tooLarge: false, binary: true, hunks: false, changed: 0 },
      'e.txt': { deferred: true, tooLarge: false, binary: false, hunks: false, changed: 6 },
    });
  });

  it('gives the deferred files their hunks in one batch, as a whole diff has them', async () => {
    const whole = await localDiff(repo.reader, range.base, range.head, { ...limits, firstPageChangedLines: Infinity });
    const batch = await localFileDiffs(repo.reader, range.base, range.head, ['e.txt', 'c.txt', 'e.txt']);
    expect(batch.map((f) => f.newPath)).toEqual(['e.txt', 'c.txt']);
    for (const f of batch) expect(f).toEqual(whole.find((w) => w.newPath === f.newPath));
  });
});
