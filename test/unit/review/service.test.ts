import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createReviewService, prepareReviewsAhead, type ReviewGitLab } from '../../../src-main/services/review';
import { createEventBus } from '../../../src-main/platform/events';
import type { ApiAnswer, HttpMethod } from '../../../src-main/services/review/gitlab-api';
import type { RunRecord } from '../../../src-shared/model/run';
import { createMirrorStore, type Mirror, type MirrorStore } from '../../../src-main/services/git/mirror';
import { lines, TempRepo } from './repo';

/*
 * The service's own logic over a scripted GitLab (the API seam), with real git: the remote is a
 * bare repository under a file:// "instance", and the project's http_url_to_repo names another
 * host, which must never be contacted (the token would go with it).
 */
let root: string;
let remote: TempRepo;
let base: string;
let head: string;
let author: TempRepo;
const calls: string[] = [];

function gitlab(): ReviewGitLab {
  const answers: Record<string, unknown> = {
    'GET /projects/acme%2Fapp': {
      id: 1,
      path_with_namespace: 'acme/app',
      http_url_to_repo: 'http://127.0.0.1:9/elsewhere/app.git',
    },
    'GET /projects/1/merge_requests/1': {
      iid: 1,
      project_id: 1,
      source_project_id: 1,
      title: 'Agent work',
      description: 'desc',
      state: 'opened',
      source_branch: 'cospec/x',
      target_branch: 'main',
      web_url: 'w',
      author: { id: 5, username: 'cospec-bot', name: 'Bot' },
      created_at: '2026-11-25T10:00:00Z',
      diff_refs: { base_sha: base, head_sha: head, start_sha: base },
      detailed_merge_status: 'mergeable',
      user: { can_merge: true },
    },
    'GET /projects/1/merge_requests/1/changes': {
      changes: [{ old_path: 'a.txt', new_path: 'a.txt', diff: '@@ -1 +1 @@\n-x\n+y\n' }],
    },
  };
  return {
    host: 'gitlab.test',
    instanceUrl: `file://${root}/instance`,
    async call(method: HttpMethod, asked: string): Promise<ApiAnswer> {
      // GitLab takes a project's id or its URL-encoded path for `:id`: both name project 1 here.
      const path = asked.replace(/^\/projects\/acme%2Fapp\//, '/projects/1/');
      calls.push(`${method} ${path}`);
      const json = answers[`${method} ${path}`];
      return {
        status: json === undefined ? 404 : 200,
        json: json ?? { message: '404 Not Found' },
        headers: new Headers(),
      };
    },
    gitAccess: async () => ({ username: 'cospec-bot', password: 'secret-token' }),
  };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cospec-review-svc-'));
  mkdirSync(join(root, 'instance', 'acme'), { recursive: true });
  remote = new TempRepo(join(root, 'instance', 'acme', 'app.git'), { bare: true });
  author = new TempRepo(join(root, 'author'));
  author.write('a.txt', lines(5)).write('b.txt', 'b\n');
  base = author.commit('base');
  author.git('push', '-q', remote.dir, 'main');
  author.git('checkout', '-q', '-b', 'cospec/x');
  author.write('a.txt', lines(5).replace('line 2', 'line two'));
  head = author.commit('work');
  author.git('push', '-q', remote.dir, 'cospec/x');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('createReviewService', { timeout: 60_000 }, () => {
  it('diffs in the project’s mirror, fetching from the account’s instance URL, and cross-checks with GitLab', async () => {
    const logger = createLogger({ sinks: [memorySink()] });
    const service = createReviewService({
      runs: {
        get: async (id) => ({ id, spec: { accountId: 'a', projectPath: 'acme/app' } }) as unknown as RunRecord,
      },
      gitlabFor: () => gitlab(),
      logger,
      mirrors: createMirrorStore({ root: join(root, 'mirrors'), logger, allowFileUrls: true }),
      git: { clone: () => Promise.reject(new Error('unused')) },
    });
    const { summary, diff } = await service.handlers.get({ runId: 'r', mrIid: 1 });
    expect(summary).toMatchObject({
      title: 'Agent work',
      approvals: null,
      mergeStatus: { canMerge: true },
      headSha: head,
    });
    expect(diff).toMatchObject({
      source: 'local',
      baseSha: base,
      headSha: head,
      stats: { files: 1, additions: 1, deletions: 1 },
    });
    // get() does not wait for GitLab's list of changes; crossCheck() compares.
    expect(diff.crossCheck).toMatchObject({ pending: true, checked: false });
    expect(calls).not.toContain('GET /projects/1/merge_requests/1/changes');
    expect(await service.handlers.crossCheck({ runId: 'r', mrIid: 1 })).toMatchObject({
      checked: true,
      consistent: true,
    });
    // 'local' proves the fetch went to file://…/instance/acme/app.git: http_url_to_repo's host is closed,
    // so a fetch there would have failed and the diff would have come from GitLab instead.
    expect(calls).toContain('GET /projects/1/merge_requests/1/changes');
  });
});

/** The real mirror store, counting the git commands run in its mirrors. */
function countingMirrors(dir: string, logger: ReturnType<typeof createLogger>, gitRuns: string[]): MirrorStore {
  const real = createMirrorStore({ root: dir, logger, allowFileUrls: true });
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop !== 'open') return Reflect.get(target, prop, receiver) as unknown;
      return async (...args: Parameters<MirrorStore['open']>) => {
        const mirror = await target.open(...args);
        return new Proxy(mirror, {
          get(m, p, r) {
            if (p !== 'git') return Reflect.get(m, p, r) as unknown;
            return (gitArgs: string[], options?: Parameters<Mirror['git']>[1]) => {
              gitRuns.push(gitArgs.join(' '));
              return m.git(gitArgs, options);
            };
          },
        });
      };
    },
  });
}

/** A review service on the stand-in GitLab whose mirrors (in their own folder) count git commands. */
function countingService(folder: string, gitRuns: string[]) {
  const logger = createLogger({ sinks: [memorySink()] });
  return createReviewService({
    runs: {
      get: async (id) => ({ id, spec: { accountId: 'a', projectPath: 'acme/app' } }) as unknown as RunRecord,
    },
    gitlabFor: () => gitlab(),
    logger,
    mirrors: countingMirrors(join(root, folder), logger, gitRuns),
    git: { clone: () => Promise.reject(new Error('unused')) },
  });
}

describe('createReviewService keeps computed diffs', { timeout: 60_000 }, () => {
  it('answers the same base..head again without git, per account, and computes a new head', async () => {
    const logger = createLogger({ sinks: [memorySink()] });
    const gitRuns: string[] = [];
    const service = createReviewService({
      runs: {
        get: async (id) =>
          ({ id, spec: { accountId: id === 'other' ? 'b' : 'a', projectPath: 'acme/app' } }) as unknown as RunRecord,
      },
      gitlabFor: () => gitlab(),
      logger,
      mirrors: countingMirrors(join(root, 'mirrors-cache'), logger, gitRuns),
      git: { clone: () => Promise.reject(new Error('unused')) },
    });
    const first = await service.handlers.get({ runId: 'r', mrIid: 1 });
    expect(gitRuns.some((a) => a.startsWith('diff'))).toBe(true);

    gitRuns.length = 0;
    const again = await service.handlers.get({ runId: 'r', mrIid: 1 });
    expect(gitRuns).toEqual([]);
    expect(again.diff).toEqual(first.diff);
    // GitLab is still asked for the MR on every call: its answer names the pair, and checks access.
    expect(calls.filter((c) => c === 'GET /projects/1/merge_requests/1').length).toBeGreaterThanOrEqual(2);

    // Another account's mirror computes its own.
    await service.handlers.get({ runId: 'other', mrIid: 1 });
    expect(gitRuns.some((a) => a.startsWith('diff'))).toBe(true);

    // Forgotten: computed again, the same.
    service.clearDiffCache();
    gitRuns.length = 0;
    expect((await service.handlers.get({ runId: 'r', mrIid: 1 })).diff).toEqual(first.diff);
    expect(gitRuns.some((a) => a.startsWith('diff'))).toBe(true);

    // A push moves the MR's head: the new pair is fetched and diffed, not served from the old one.
    author.write('b.txt', 'b changed\n');
    const next = author.commit('more work');
    author.git('push', '-q', remote.dir, 'cospec/x');
    const previous = head;
    head = next;
    try {
      gitRuns.length = 0;
      const moved = await service.handlers.get({ runId: 'r', mrIid: 1 });
      expect(moved.diff).toMatchObject({ headSha: next, stats: { files: 2 } });
      expect(gitRuns.some((a) => a.startsWith('fetch') || a.startsWith('diff'))).toBe(true);
    } finally {
      head = previous;
    }
  });
  it('prepares a diff ahead so the first get() runs no git; a known pair takes two git processes', async () => {
    const gitRuns: string[] = [];
    const service = countingService('mirrors-prepare', gitRuns);
    await service.prepare({ runId: 'r', mrIid: 1 });
    gitRuns.length = 0;
    const first = await service.handlers.get({ runId: 'r', mrIid: 1 });
    expect(gitRuns).toEqual([]);
    expect(first.diff).toMatchObject({ source: 'local', baseSha: base, headSha: head, stats: { files: 1 } });

    // The mirror has both commits: the listing (revisions peeled to commits) is the check, then the first page.
    service.clearDiffCache();
    gitRuns.length = 0;
    expect((await service.handlers.get({ runId: 'r', mrIid: 1 })).diff).toEqual(first.diff);
    expect(gitRuns.map((a) => a.split(' ')[0])).toEqual(['diff', 'diff']);
    expect(gitRuns[0]).toContain(`${base}^{commit} ${head}^{commit}`);

    // An MR that cannot be read is logged, never thrown.
    await expect(service.prepare({ runId: 'r', mrIid: 99 })).resolves.toBeUndefined();
  });

  it('never hands GitLab’s diff_refs to git unless they are object ids', async () => {
    const gitRuns: string[] = [];
    const service = countingService('mirrors-hostile', gitRuns);
    const previous = head;
    head = `--output=${join(root, 'written-by-git')}`;
    try {
      const { diff } = await service.handlers.get({ runId: 'r', mrIid: 1 });
      // The source branch as fetched stands in for the head GitLab named.
      expect(diff.source).toBe('local');
      expect(diff.headSha).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      head = previous;
    }
    expect(gitRuns.some((a) => a.includes('--output'))).toBe(false);
  });
  it('prepares the MRs of a run that succeeded, once, when the runs service says so', async () => {
    const gitRuns: string[] = [];
    const service = countingService('mirrors-ahead', gitRuns);
    const events = createEventBus();
    const stop = prepareReviewsAhead((listener) => events.on('runs.didChange', listener), service);
    const mr = { kind: 'merge_request', iid: 1, title: 'Agent work', sourceBranch: 'cospec/x', targetBranch: 'main' };
    const record = (state: string) => ({
      id: 'r',
      state,
      outputs: [{ ...mr, state: 'opened', pipelineStatus: null, webUrl: 'w' }],
    });
    events.emit('runs.didChange', record('running') as unknown as RunRecord);
    events.emit('runs.didChange', record('succeeded') as unknown as RunRecord);
    events.emit('runs.didChange', record('succeeded') as unknown as RunRecord);
    await stop(); // waits for the work under way
    expect(gitRuns.filter((a) => a.startsWith('diff')).length).toBeGreaterThan(0);
    gitRuns.length = 0;
    await service.handlers.get({ runId: 'r', mrIid: 1 });
    expect(gitRuns).toEqual([]);
  });
});
