import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReviewFileSchema, type ReviewFile } from '../../../src-shared/model/review';
import { localDiff, localFileDiff } from '../../../src-main/services/review/local-diff';
import { lines, TempRepo } from './repo';

// One real repository with every kind of change the review screen must show.
let repo: TempRepo;
let base: string;
let head: string;
let files: ReviewFile[];
const byPath = (path: string) => {
  const f = files.find((x) => x.newPath === path || x.oldPath === path);
  if (!f) throw new Error(`no file ${path} in ${files.map((x) => x.newPath).join(', ')}`);
  return f;
};

beforeAll(async () => {
  repo = new TempRepo();
  repo
    .write('src/app.ts', lines(30))
    .write('docs/old name.md', lines(40, 'doc'))
    .write('gone.txt', 'bye\n')
    .write('script.sh', '#!/bin/sh\necho hi\n')
    .write('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2, 3]))
    .write('ünïcode.txt', 'é\n')
    .write('generated.json', lines(50, 'gen'));
  base = repo.commit('base');
  repo
    .write('src/app.ts', lines(30).replace('line 3\n', 'line three\n').replace('line 20\n', 'line 20\nline 20b\n'))
    .write('src/new.ts', 'export const x = 1;\nexport const y = 2;')
    .remove('docs/old name.md')
    .write('docs/new name.md', lines(40, 'doc').replace('doc 40\n', 'doc forty\n'))
    .remove('gone.txt')
    .write('script.sh', '#!/bin/sh\necho hi\n', 0o755)
    .write('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 9, 9, 9]))
    .write('ünïcode.txt', 'ê\n')
    .write('empty.txt', '')
    .write('generated.json', lines(400, 'gen2'));
  head = repo.commit('agent work');
  files = await localDiff(repo.reader, base, head, { maxFileChangedLines: 300, maxSingleFileChangedLines: 10_000 });
}, 60_000);
afterAll(() => repo.dispose());

describe('localDiff', { timeout: 60_000 }, () => {
  it('lists every changed file once, each valid against the contract', () => {
    expect(files.map((f) => f.newPath).sort()).toEqual(
      [
        'docs/new name.md',
        'empty.txt',
        'generated.json',
        'gone.txt',
        'logo.png',
        'script.sh',
        'src/app.ts',
        'src/new.ts',
        'ünïcode.txt',
      ].sort(),
    );
    for (const f of files) expect(() => ReviewFileSchema.parse(f)).not.toThrow();
  });

  it('gives hunks with line numbers for a modified file', () => {
    const f = byPath('src/app.ts');
    expect(f).toMatchObject({ type: 'modify', additions: 2, deletions: 1, isBinary: false, tooLarge: false });
    expect(f.hunks).toHaveLength(2);
    const inserts = f.hunks.flatMap((h) => h.changes).filter((c) => c.type === 'insert');
    expect(inserts.map((c) => (c.type === 'insert' ? [c.lineNumber, c.content] : null))).toEqual([
      [3, 'line three'],
      [21, 'line 20b'],
    ]);
    const normal = f.hunks[0]!.changes.find((c) => c.type === 'normal');
    expect(normal).toMatchObject({ isNormal: true, oldLineNumber: 1, newLineNumber: 1, content: 'line 1' });
  });

  it('flags a rename with its similarity and keeps both paths, spaces included', () => {
    const f = byPath('docs/new name.md');
    expect(f).toMatchObject({
      type: 'rename',
      oldPath: 'docs/old name.md',
      newPath: 'docs/new name.md',
      additions: 1,
      deletions: 1,
    });
    expect(f.similarity).toBeGreaterThan(80);
    expect(f.hunks).toHaveLength(1);
  });

  it('reads added, deleted, empty, binary, mode-only and non-ASCII files', () => {
    expect(byPath('src/new.ts')).toMatchObject({
      type: 'add',
      oldMode: '',
      newMode: '100644',
      additions: 2,
      deletions: 0,
      newEndingNewLine: false,
    });
    const gone = byPath('gone.txt');
    expect(gone).toMatchObject({ type: 'delete', additions: 0, deletions: 1 });
    expect(gone.hunks[0]).toMatchObject({ oldStart: 1, oldLines: 1, newStart: 0, newLines: 0 });
    expect(byPath('empty.txt')).toMatchObject({ type: 'add', hunks: [], additions: 0 });
    expect(byPath('logo.png')).toMatchObject({ type: 'modify', isBinary: true, hunks: [] });
    expect(byPath('script.sh')).toMatchObject({
      type: 'modify',
      oldMode: '100644',
      newMode: '100755',
      hunks: [],
      additions: 0,
    });
    expect(byPath('ünïcode.txt')).toMatchObject({ additions: 1, deletions: 1 });
  });

  it('sends a file over the limit without hunks but with its counts, and loads it on demand', async () => {
    const big = byPath('generated.json');
    expect(big).toMatchObject({ tooLarge: true, hunks: [], additions: 400, deletions: 50 });
    const full = await localFileDiff(repo.reader, base, head, 'generated.json', {
      maxFileChangedLines: 300,
      maxSingleFileChangedLines: 10_000,
    });
    expect(full).toMatchObject({ tooLarge: false, additions: 400, deletions: 50 });
    expect(full!.hunks.flatMap((h) => h.changes).filter((c) => c.type === 'insert')).toHaveLength(400);
  });

  it('loads one renamed file by its new path, still paired with its old one', async () => {
    const f = await localFileDiff(repo.reader, base, head, 'docs/new name.md');
    expect(f).toMatchObject({ type: 'rename', oldPath: 'docs/old name.md' });
    expect(await localFileDiff(repo.reader, base, head, 'not/changed.txt')).toBeUndefined();
  });

  it('is empty for identical commits', async () => {
    expect(await localDiff(repo.reader, head, head)).toEqual([]);
  });
});

describe('localDiff lists and counts files with one git process', () => {
  it('keeps paths that look like git’s own records (a leading colon, digits, tabs) apart from them', async () => {
    const odd = new TempRepo();
    odd.write(':100644 x.txt', lines(3)).write('12\t34\tname.txt', lines(3)).write('moved.txt', lines(20));
    const from = odd.commit('base');
    odd.write(':100644 x.txt', lines(4)).write('12\t34\tname.txt', 'one\n');
    odd.git('mv', 'moved.txt', ':moved.txt');
    const to = odd.commit('change');
    try {
      const diff = await localDiff(odd.reader, from, to);
      const summary = diff.map((f) => [f.type, f.oldPath, f.newPath, f.additions, f.deletions]);
      expect(summary).toEqual(
        expect.arrayContaining([
          ['modify', ':100644 x.txt', ':100644 x.txt', 1, 0],
          ['modify', '12\t34\tname.txt', '12\t34\tname.txt', 1, 3],
          ['rename', 'moved.txt', ':moved.txt', 0, 0],
        ]),
      );
      expect(diff).toHaveLength(3);
    } finally {
      odd.dispose();
    }
  });
});
