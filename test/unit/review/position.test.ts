import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { ReviewFile } from '../../../src-shared/model/review';
import { localFileDiff } from '../../../src-main/services/review/local-diff';
import { resolvePosition } from '../../../src-main/services/review/position';
import { lines, TempRepo } from './repo';

// Positions are checked against a real diff: lines 3 (changed) and 40-41 (two inserted) of 60.
let repo: TempRepo;
let file: ReviewFile;
let added: ReviewFile;

beforeAll(async () => {
  repo = new TempRepo();
  repo.write('a.txt', lines(60));
  const base = repo.commit('base');
  repo
    .write('a.txt', lines(60).replace('line 3\n', 'line III\n').replace('line 40\n', 'line 40\nnew 1\nnew 2\n'))
    .write('b.txt', 'one\ntwo\n');
  const head = repo.commit('change');
  file = (await localFileDiff(repo.reader, base, head, 'a.txt'))!;
  added = (await localFileDiff(repo.reader, base, head, 'b.txt'))!;
}, 60_000);
afterAll(() => repo.dispose());

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e instanceof CospecError ? e.code : String(e);
  }
  return 'no error';
};

describe('resolvePosition', { timeout: 60_000 }, () => {
  it('an added line gets only new_line; a removed line only old_line', () => {
    expect(resolvePosition(file, { path: 'a.txt', newLine: 3 })).toEqual({
      old_path: 'a.txt',
      new_path: 'a.txt',
      new_line: 3,
    });
    expect(resolvePosition(file, { path: 'a.txt', oldLine: 3 })).toEqual({
      old_path: 'a.txt',
      new_path: 'a.txt',
      old_line: 3,
    });
    expect(resolvePosition(file, { path: 'a.txt', newLine: 42 })).toMatchObject({ new_line: 42 });
  });

  it('an unchanged line inside a hunk gets both numbers from the hunk', () => {
    expect(resolvePosition(file, { path: 'a.txt', newLine: 44 })).toMatchObject({ new_line: 44, old_line: 42 });
    expect(resolvePosition(file, { path: 'a.txt', oldLine: 42 })).toMatchObject({ new_line: 44, old_line: 42 });
  });

  it('a line outside every hunk is shifted by what the hunks above it added', () => {
    expect(resolvePosition(file, { path: 'a.txt', newLine: 20 })).toMatchObject({ new_line: 20, old_line: 20 });
    expect(resolvePosition(file, { path: 'a.txt', newLine: 58 })).toMatchObject({ new_line: 58, old_line: 56 });
    expect(resolvePosition(file, { path: 'a.txt', oldLine: 56 })).toMatchObject({ new_line: 58, old_line: 56 });
  });

  it('refuses lines a file cannot have', () => {
    expect(codeOf(() => resolvePosition(added, { path: 'b.txt', oldLine: 1 }))).toBe('DIFF_POSITION_INVALID');
    expect(codeOf(() => resolvePosition(added, { path: 'b.txt', newLine: 9 }))).toBe('DIFF_POSITION_INVALID');
    expect(resolvePosition(added, { path: 'b.txt', newLine: 2 })).toMatchObject({ new_line: 2 });
  });
});
