import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewFileSchema, type ReviewFile } from '../../../src-shared/ipc/services/review';
import { localDiff } from '../../../src-main/services/review/local-diff';
import { lines, TempRepo } from './repo';

// The size the issue sets for a smooth review: 500 files and 20,000 changed lines.
const FILES = 500;
let repo: TempRepo;
let files: ReviewFile[];

beforeAll(async () => {
  repo = new TempRepo();
  for (let i = 0; i < FILES; i++) repo.write(`pkg/${Math.floor(i / 50)}/file-${i}.ts`, lines(40, `f${i}`));
  const base = repo.commit('base');
  // Each file: 20 lines replaced (20 deletions + 20 additions) = 40 changed lines, 20,000 in all.
  for (let i = 0; i < FILES; i++) {
    const text = lines(40, `f${i}`).split('\n').map((l, n) => (n % 2 === 0 && l ? `${l} changed` : l)).join('\n');
    repo.write(`pkg/${Math.floor(i / 50)}/file-${i}.ts`, text);
  }
  const head = repo.commit('big change');
  files = await localDiff(repo.dir, base, head);
}, 180_000);
afterAll(() => repo.dispose());

describe('a large merge request', { timeout: 60_000 }, () => {
  it('comes back whole: every file with hunks, counts matching the changes', () => {
    expect(files).toHaveLength(FILES);
    const additions = files.reduce((n, f) => n + f.additions, 0);
    const deletions = files.reduce((n, f) => n + f.deletions, 0);
    expect(additions + deletions).toBe(20_000);
    for (const f of files) {
      expect(f.tooLarge).toBe(false);
      const inserted = f.hunks.flatMap((h) => h.changes).filter((c) => c.type === 'insert').length;
      expect(inserted).toBe(f.additions);
    }
    expect(() => ReviewFileSchema.array().parse(files)).not.toThrow();
  });
});
