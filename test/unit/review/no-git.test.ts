import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { locateRange } from '../../../src-main/services/review/locate';
import { ApiMergeRequestSchema } from '../../../src-main/services/review/merge-request';

// A computer without git (the app clones with isomorphic-git then): the error says so, so the
// service shows GitLab's diff with that reason instead of blaming the clone.
const savedPath = process.env.PATH;
afterAll(() => {
  process.env.PATH = savedPath;
});

describe('without git on PATH', () => {
  it('reports DIFF_UNAVAILABLE naming the missing git', async () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'cospec-empty-path-'));
    const mr = ApiMergeRequestSchema.parse({
      iid: 1,
      project_id: 1,
      title: 't',
      state: 'opened',
      source_branch: 's',
      target_branch: 'main',
      web_url: 'w',
      author: { id: 1, username: 'u' },
      created_at: 'c',
    });
    const error = await locateRange({
      repo: tmpdir(),
      mr,
      targetUrl: 'file:///x',
      sourceUrl: 'file:///x',
      access: async () => ({ username: 'u', password: 'p' }),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DIFF_UNAVAILABLE', message: expect.stringMatching(/git is not installed/) });
  });
});
