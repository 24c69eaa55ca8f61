import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewFileSchema, type ReviewFile } from '../../../src-shared/model/review';
import { DEFAULT_LIMITS, localDiff, localFileDiffs } from '../../../src-main/services/review/local-diff';
import { lines, TempRepo } from './repo';

// The size the issue sets for a smooth review: 500 files and 20,000 changed lines.
const FILES = 500;
let repo: TempRepo;
let files: ReviewFile[];
let range: { base: string; head: string };

beforeAll(async () => {
  repo = new TempRepo();
  for (let i = 0; i < FILES; i++) repo.write(`pkg/${Math.floor(i / 50)}/file-${i}.ts`, lines(40, `f${i}`));
  const base = repo.commit('base');
  // Each file: 20 lines replaced (20 deletions + 20 additions) = 40 changed lines, 20,000 in all.
  for (let i = 0; i < FILES; i++) {
    const text = lines(40, `f${i}`)
      .split('\n')
      .map((l, n) => (n % 2 === 0 && l ? `${l} changed` : l))
      .join('\n');
    repo.write(`pkg/${Math.floor(i / 50)}/file-${i}.ts`, text);
  }
  const head = repo.commit('big change');
  range = { base, head };
  files = await localDiff(repo.reader, base, head);
}, 180_000);
afterAll(() => repo.dispose());

describe('a large merge request', { timeout: 60_000 }, () => {
  it('comes back with every file and its counts, hunks for a first page only, the rest deferred', () => {
    expect(files).toHaveLength(FILES);
    const additions = files.reduce((n, f) => n + f.additions, 0);
    const deletions = files.reduce((n, f) => n + f.deletions, 0);
    expect(additions + deletions).toBe(20_000);
    // 40 changed lines a file: the first page holds as many as fit in 1,500 lines.
    const pageSize = Math.floor(DEFAULT_LIMITS.firstPageChangedLines! / 40);
    files.forEach((f, i) => {
      expect(f.tooLarge).toBe(false);
      expect([f.additions, f.deletions]).toEqual([20, 20]);
      const inserted = f.hunks.flatMap((h) => h.changes).filter((c) => c.type === 'insert').length;
      if (i < pageSize) {
        expect(f.deferred ?? false).toBe(false);
        expect(inserted).toBe(f.additions);
      } else {
        expect(f.deferred).toBe(true);
        expect(f.hunks).toEqual([]);
      }
    });
    expect(() => ReviewFileSchema.array().parse(files)).not.toThrow();
  });

  it('gives deferred files, in batches, the same hunks as a whole diff', async () => {
    const whole = await localDiff(repo.reader, range.base, range.head, {
      ...DEFAULT_LIMITS,
      firstPageChangedLines: Infinity,
      firstPageFiles: Infinity,
    });
    expect(whole.every((f) => !f.deferred && f.hunks.length > 0)).toBe(true);
    const paths = files
      .filter((f) => f.deferred)
      .slice(0, 100)
      .map((f) => f.newPath)
      .reverse();
    const batch = await localFileDiffs(repo.reader, range.base, range.head, [...paths, 'not/in/the/diff.ts']);
    expect(batch.map((f) => f.newPath)).toEqual(paths);
    for (const file of batch) expect(file).toEqual(whole.find((f) => f.newPath === file.newPath));
  });
});
