import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReviewFile } from '../../../src-shared/model/review';
import { crossCheck, filesFromGitLab, type GitLabChanges } from '../../../src-main/services/review/gitlab-diff';
import { localDiff } from '../../../src-main/services/review/local-diff';
import { lines, TempRepo } from './repo';

let repo: TempRepo;
let local: ReviewFile[];
let changes: GitLabChanges;

/** GitLab's /changes entry for one path: the hunks of `git diff` without the file header, as GitLab sends them. */
function gitlabChange(path: string, over: Record<string, unknown> = {}) {
  const patch = repo.git('diff', '--no-color', 'HEAD~1', 'HEAD', '--', path);
  const diff = patch.slice(patch.indexOf('@@'));
  return {
    old_path: path,
    new_path: path,
    a_mode: '100644',
    b_mode: '100644',
    diff,
    new_file: false,
    renamed_file: false,
    deleted_file: false,
    ...over,
  };
}

beforeAll(async () => {
  repo = new TempRepo();
  repo.write('a.ts', lines(30)).write('old.md', lines(20));
  repo.commit('base');
  repo
    .write('a.ts', lines(30).replace('line 10\n', 'line ten\n'))
    .write('b.ts', 'new\nfile')
    .remove('old.md')
    .write('new.md', lines(20));
  repo.commit('work');
  local = await localDiff(repo.reader, 'HEAD~1', 'HEAD');
  changes = {
    overflow: false,
    changes: [
      gitlabChange('a.ts'),
      gitlabChange('b.ts', { new_file: true, a_mode: '0' }),
      { old_path: 'old.md', new_path: 'new.md', a_mode: '100644', b_mode: '100644', diff: '', renamed_file: true },
    ],
  };
}, 60_000);
afterAll(() => repo.dispose());

describe('filesFromGitLab', { timeout: 60_000 }, () => {
  it('parses GitLab’s header-less per-file diffs into the same hunks as the local diff', () => {
    const remote = filesFromGitLab(changes);
    const a = remote.find((f) => f.newPath === 'a.ts')!;
    const localA = local.find((f) => f.newPath === 'a.ts')!;
    expect(a.hunks).toEqual(localA.hunks);
    expect(a).toMatchObject({ type: 'modify', additions: 1, deletions: 1 });
    expect(remote.find((f) => f.newPath === 'b.ts')).toMatchObject({
      type: 'add',
      oldMode: '',
      additions: 2,
      newEndingNewLine: false,
    });
    expect(remote.find((f) => f.newPath === 'new.md')).toMatchObject({ type: 'rename', oldPath: 'old.md', hunks: [] });
  });

  it('marks binary and too-large entries', () => {
    const [bin, big] = filesFromGitLab({
      overflow: false,
      changes: [
        { old_path: 'x.png', new_path: 'x.png', diff: 'Binary files a/x.png and b/x.png differ\n' },
        { old_path: 'y.json', new_path: 'y.json', diff: '', too_large: true },
      ],
    });
    expect(bin).toMatchObject({ isBinary: true, hunks: [] });
    expect(big).toMatchObject({ tooLarge: true, hunks: [] });
  });
});

describe('crossCheck', () => {
  it('agrees when both sides touch the same paths', () => {
    expect(crossCheck(local, changes)).toEqual({
      checked: true,
      consistent: true,
      onlyLocal: [],
      onlyGitLab: [],
      gitlabOverflow: false,
    });
  });

  it('agrees when GitLab saw a delete + add where git saw a rename', () => {
    const split: GitLabChanges = {
      overflow: false,
      changes: [
        ...changes.changes.slice(0, 2),
        { old_path: 'old.md', new_path: 'old.md', deleted_file: true, diff: '' },
        { old_path: 'new.md', new_path: 'new.md', new_file: true, diff: '' },
      ],
    };
    expect(crossCheck(local, split).consistent).toBe(true);
  });

  it('names the paths only one side has', () => {
    const result = crossCheck(local, {
      overflow: false,
      changes: [changes.changes[0]!, { old_path: 'z.txt', new_path: 'z.txt', diff: '' }],
    });
    expect(result).toMatchObject({ consistent: false, onlyGitLab: ['z.txt'], onlyLocal: ['b.ts', 'new.md', 'old.md'] });
    expect(result.note).toBeTruthy();
  });

  it('expects missing paths on GitLab’s side when it cut its list short', () => {
    expect(crossCheck(local, { overflow: true, changes: [changes.changes[0]!] }).consistent).toBe(true);
  });
});
