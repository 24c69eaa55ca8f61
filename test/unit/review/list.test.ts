import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { RunOutput, RunRecord } from '../../../src-shared/model/run';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { checkTargetDir } from '../../../src-main/services/review/checkout';
import type { ApiAnswer, HttpMethod, ReviewGitLab } from '../../../src-main/services/review/gitlab-api';
import { listReviews } from '../../../src-main/services/review/list';

/*
 * The reviews list's bookkeeping over recorded runs and a scripted GitLab: which MRs appear, once,
 * in which order, and what happens when GitLab cannot answer. The real GitLab round trip is in
 * test/integration/review/checkout.test.ts.
 */
const mrOut = (iid: number, state = 'opened'): RunOutput => ({
  kind: 'merge_request',
  iid,
  title: `recorded ${iid}`,
  sourceBranch: `b${iid}`,
  targetBranch: 'main',
  state,
  pipelineStatus: 'pending',
  webUrl: `https://gl.test/acme/app/-/merge_requests/${iid}`,
});
const run = (id: string, accountId: string, createdAt: string, outputs: RunOutput[]): RunRecord =>
  ({
    id,
    spec: { accountId, projectPath: 'acme/app' },
    createdAt,
    updatedAt: createdAt,
    outputs,
  }) as unknown as RunRecord;

/** GitLab answers per MR iid: a status and body, or a thrown error (network failure). */
function gitlab(answers: Record<number, { status: number; json?: unknown } | Error>, calls: string[]): ReviewGitLab {
  return {
    host: 'gl.test',
    instanceUrl: 'https://gl.test',
    async call(method: HttpMethod, path: string): Promise<ApiAnswer> {
      calls.push(`${method} ${path}`);
      const iid = Number(/merge_requests\/(\d+)$/.exec(path)?.[1]);
      const answer = answers[iid] ?? { status: 404, json: { message: '404 Not found' } };
      if (answer instanceof Error) throw answer;
      return { status: answer.status, json: answer.json, headers: new Headers() };
    },
    gitAccess: async () => ({ username: 'u', password: 'p' }),
  };
}

const apiMr = (iid: number, state: string, updatedAt: string, pipeline: string | null = null) => ({
  status: 200,
  json: {
    iid,
    project_id: 1,
    title: `live ${iid}`,
    state,
    source_branch: `b${iid}`,
    target_branch: 'main',
    web_url: `https://gl.test/acme/app/-/merge_requests/${iid}`,
    author: { id: 1, username: 'bot' },
    created_at: '2026-11-01T00:00:00Z',
    updated_at: updatedAt,
    head_pipeline: pipeline ? { id: 9, status: pipeline } : null,
  },
});

describe('listReviews', () => {
  it('lists each open MR once under its newest run, refreshed, newest first; drops merged, deleted and orphaned ones', async () => {
    const calls: string[] = [];
    const gl = gitlab(
      {
        1: apiMr(1, 'opened', '2026-11-24T10:00:00Z', 'success'),
        2: apiMr(2, 'opened', '2026-11-25T10:00:00Z'),
        3: apiMr(3, 'merged', '2026-11-25T11:00:00Z'),
      },
      calls,
    );
    const runs = [
      run('old', 'acc', '2026-11-20T00:00:00.000Z', [mrOut(1)]),
      run('new', 'acc', '2026-11-21T00:00:00.000Z', [mrOut(1), mrOut(2), mrOut(3), mrOut(4)]),
      run('done', 'acc', '2026-11-22T00:00:00.000Z', [mrOut(5, 'merged')]),
      run('orphan', 'gone', '2026-11-23T00:00:00.000Z', [mrOut(6)]),
    ];
    const gitlabFor = (accountId: string) => {
      if (accountId === 'gone') throw new CospecError('NOT_FOUND', 'no longer connected');
      return gl;
    };
    const items = await listReviews({ runs, gitlabFor, log: createLogger({ sinks: [memorySink()] }) });
    expect(items.map((i) => [i.runId, i.mrIid, i.title, i.pipelineStatus])).toEqual([
      ['new', 2, 'live 2', null],
      ['new', 1, 'live 1', 'success'],
    ]);
    // Recorded-as-merged MRs are not asked about; MR 4 was deleted (404) and is left out.
    expect(calls.sort()).toEqual([1, 2, 3, 4].map((iid) => `GET /projects/acme%2Fapp/merge_requests/${iid}`));
    expect(
      await listReviews({ runs, accountId: 'gone', gitlabFor, log: createLogger({ sinks: [memorySink()] }) }),
    ).toEqual([]);
  });

  it('keeps the recorded state of an MR GitLab cannot be asked about right now, and says so in the log', async () => {
    const sink = memorySink();
    const gl = gitlab({ 1: new CospecError('CONNECTION_REFUSED', 'down') }, []);
    const items = await listReviews({
      runs: [run('r', 'acc', '2026-11-20T00:00:00.000Z', [mrOut(1)])],
      gitlabFor: () => gl,
      log: createLogger({ sinks: [sink] }),
    });
    expect(items).toMatchObject([
      {
        runId: 'r',
        mrIid: 1,
        title: 'recorded 1',
        state: 'opened',
        pipelineStatus: 'pending',
        updatedAt: '2026-11-20T00:00:00.000Z',
      },
    ]);
    expect(sink.lines.join('\n')).toMatch(/could not refresh/);
  });
});

describe('checkTargetDir', () => {
  const root = mkdtempSync(join(tmpdir(), 'cospec-checkout-dir-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('accepts a missing or empty absolute folder and refuses everything else with INVALID_INPUT', async () => {
    expect(await checkTargetDir(join(root, 'new') + '/')).toBe(join(root, 'new'));
    mkdirSync(join(root, 'empty'));
    expect(await checkTargetDir(join(root, 'empty'))).toBe(join(root, 'empty'));
    mkdirSync(join(root, 'full'));
    writeFileSync(join(root, 'full', 'x'), 'x');
    writeFileSync(join(root, 'file'), 'x');
    for (const dir of ['relative/dir', join(root, 'full'), join(root, 'file')]) {
      await expect(checkTargetDir(dir)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    expect(readdirSync(join(root, 'full'))).toEqual(['x']);
  });
});
