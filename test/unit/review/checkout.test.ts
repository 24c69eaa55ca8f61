import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { CloneRequest, CloneResult } from '../../../src-main/services/git';
import { checkoutMergeRequest, type ReviewCloner } from '../../../src-main/services/review/checkout';
import { ApiMergeRequestSchema, type ApiMergeRequest } from '../../../src-main/services/review/merge-request';
import { TempRepo } from './repo';

/*
 * The checkout's own steps around the clone (the clone itself, over HTTP as the account, is in
 * test/integration/review/checkout.test.ts): a branch that moved while cloning, and a clone that
 * fails halfway. The cloner here is the system git cloning a local repository into the folder the
 * checkout asks for, as the git service would.
 */
let root: string;
let origin: TempRepo;
let first: string;
let second: string;

const mr = (sha: string): ApiMergeRequest =>
  ApiMergeRequestSchema.parse({
    iid: 7,
    project_id: 1,
    title: 't',
    state: 'opened',
    source_branch: 'feature',
    target_branch: 'main',
    web_url: 'w',
    author: { id: 1, username: 'u' },
    created_at: 'c',
    sha,
  });

/** Clones `origin` with the system git into req.dir; `before` runs first (to move the branch, or to fail). */
function localCloner(before?: (req: CloneRequest) => void): ReviewCloner & { requests: CloneRequest[] } {
  const requests: CloneRequest[] = [];
  return {
    requests,
    async clone(req: CloneRequest): Promise<CloneResult> {
      requests.push(req);
      before?.(req);
      execFileSync('git', ['clone', '-q', '--branch', req.branch ?? 'main', origin.dir, req.dir]);
      const head = execFileSync('git', ['-C', req.dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
      return { branch: req.branch ?? 'main', head, engine: 'isomorphic-git', warnings: [] };
    },
  };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cospec-checkout-unit-'));
  origin = new TempRepo(join(root, 'origin'));
  origin.write('a.txt', 'a\n').commit('base');
  origin.git('checkout', '-q', '-b', 'feature');
  first = origin.write('a.txt', 'b\n').commit('first');
  second = origin.write('a.txt', 'c\n').commit('second');
  origin.git('reset', '-q', '--hard', first);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const request = (dir: string, cloner: ReviewCloner, refreshed: ApiMergeRequest) => ({
  dir,
  mr: mr(first),
  sourceUrl: 'https://gitlab.test/acme/app.git',
  targetUrl: 'https://gitlab.test/acme/app.git',
  access: async () => ({ username: 'oauth2', password: 'token' }),
  refresh: async () => refreshed,
  cloner,
});

describe('checkoutMergeRequest', () => {
  it('follows the MR when its branch moved between reading it and cloning', async () => {
    const cloner = localCloner(() => origin.git('reset', '-q', '--hard', second));
    const dir = join(root, 'moved');
    const result = await checkoutMergeRequest(request(dir, cloner, mr(second)));
    expect(result).toEqual({ dir, branch: 'feature', head: second });
    expect(cloner.requests).toMatchObject([
      { url: 'https://gitlab.test/acme/app.git', branch: 'feature', engine: 'isomorphic-git' },
    ]);
    // The account's credentials reach the clone through the callback only.
    expect(await cloner.requests[0]!.credentials()).toEqual({ username: 'oauth2', password: 'token' });
    origin.git('reset', '-q', '--hard', first);
  });

  it('leaves neither the folder nor a staging copy behind when the clone fails halfway', async () => {
    const parent = join(root, 'half');
    mkdirSync(parent);
    const cloner = localCloner((req) => {
      mkdirSync(req.dir, { recursive: true });
      writeFileSync(join(req.dir, 'partial'), 'x');
      throw new CospecError('CONNECTION_RESET', 'dropped');
    });
    const error = await checkoutMergeRequest(request(join(parent, 'app'), cloner, mr(first))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'CONNECTION_RESET' });
    expect(readdirSync(parent)).toEqual([]);
    expect(existsSync(join(parent, 'app'))).toBe(false);
  });
});
