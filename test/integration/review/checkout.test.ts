import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import { CheckoutResultSchema, ReviewListItemSchema } from '../../../src-shared/model/review';
import type { RunOutput, RunRecord } from '../../../src-shared/model/run';
import type { ReviewService } from '../../../src-main/services/review';
import { codeOf, PROJECT, startReviewFixture, type ReviewFixture } from './fixture';

/*
 * Checking out an MR's branch into a folder the user picks, and the reviews list, against the
 * GitLab stand-in over TLS with its own CA. Clones go through the review service's default git
 * service (isomorphic-git with the account's dispatcher); the system git only prepares the MRs
 * and reads the results.
 */
let fx: ReviewFixture;
let gitlab: ReviewFixture['gitlab'];
let root: string;
let review: ReviewService['handlers'];
let token: string;
let logSink: ReviewFixture['logSink'];
let api: ReviewFixture['api'];
const iids = { open: 0, merged: 0, closed: 0, second: 0 };
const shas = { open: '', merged: '' };
const project = encodeURIComponent(PROJECT);
const exec = promisify(execFile);
const git = async (dir: string, ...args: string[]) => (await fx.git(dir, ...args)).trim();
const openMr = (source: string, title: string) => fx.openMr(source, title);

async function pushBranch(clone: string, branch: string, file: string, text: string): Promise<string> {
  await git(clone, 'checkout', '-q', '-B', branch, 'origin/main');
  writeFileSync(join(clone, file), text);
  await git(clone, 'add', '-A');
  await git(clone, 'commit', '-q', '-m', `Add ${file}`);
  await git(clone, 'push', '-q', 'origin', branch);
  return git(clone, 'rev-parse', 'HEAD');
}

function mrOutput(iid: number, branch: string, state = 'opened'): RunOutput {
  return {
    kind: 'merge_request',
    iid,
    title: `recorded !${iid}`,
    sourceBranch: branch,
    targetBranch: 'main',
    state,
    pipelineStatus: null,
    webUrl: `${gitlab.url}/${PROJECT}/-/merge_requests/${iid}`,
  };
}

function runRecord(id: string, accountId: string, createdAt: string, outputs: RunOutput[]): RunRecord {
  return {
    id,
    spec: { accountId, projectPath: PROJECT },
    createdAt,
    updatedAt: createdAt,
    outputs,
  } as unknown as RunRecord;
}

beforeAll(async () => {
  fx = await startReviewFixture('checkout');
  ({ gitlab, root, token, logSink, api } = fx);

  const agent = join(root, 'agent');
  await git(root, 'clone', '-q', `${gitlab.url}/${PROJECT}.git`, agent);
  shas.open = await pushBranch(agent, 'cospec/open', 'OPEN.md', 'still open\n');
  iids.open = await openMr('cospec/open', 'Still open');
  shas.merged = await pushBranch(agent, 'cospec/merged', 'MERGED.md', 'merged, branch deleted\n');
  iids.merged = await openMr('cospec/merged', 'Merged');
  await pushBranch(agent, 'cospec/closed', 'CLOSED.md', 'closed\n');
  iids.closed = await openMr('cospec/closed', 'Closed');
  await pushBranch(agent, 'cospec/second', 'SECOND.md', 'second\n');
  iids.second = await openMr('cospec/second', 'Second');

  // The merged MR's source branch is deleted; GitLab (and the stand-in) keep refs/merge-requests/<iid>/head.
  await api('PUT', `/projects/${project}/merge_requests/${iids.merged}/merge`, {
    should_remove_source_branch: true,
    sha: shas.merged,
  });
  await api('PUT', `/projects/${project}/merge_requests/${iids.closed}`, { state_event: 'close' });

  const runs = [
    runRecord('run-old', 'acc-bot', '2026-11-20T10:00:00.000Z', [mrOutput(iids.open, 'cospec/open')]),
    runRecord('run-new', 'acc-bot', '2026-11-21T10:00:00.000Z', [
      { kind: 'branch', name: 'cospec/open', sha: shas.open, change: 'created', webUrl: null, commits: [] },
      mrOutput(iids.open, 'cospec/open'),
      // Recorded as open, merged on GitLab since: the refresh drops it.
      mrOutput(iids.merged, 'cospec/merged'),
    ]),
    runRecord('run-closed', 'acc-bot', '2026-11-22T10:00:00.000Z', [mrOutput(iids.closed, 'cospec/closed')]),
    // Recorded long ago, but its MR is the newest on GitLab.
    runRecord('run-second', 'acc-bot', '2026-11-01T10:00:00.000Z', [mrOutput(iids.second, 'cospec/second')]),
    runRecord('run-orphan', 'acc-gone', '2026-11-23T10:00:00.000Z', [mrOutput(iids.open, 'cospec/open')]),
  ];
  review = fx.reviewService(runs);
}, 120_000);

afterAll(async () => fx?.close());

describe('checkout of an MR branch', () => {
  it('clones the source branch at the MR’s head commit into the folder the user picked', async () => {
    const dir = join(root, 'picked', 'web-app');
    const result = CheckoutResultSchema.parse(await review.checkout({ runId: 'run-new', mrIid: iids.open, dir }));
    expect(result, logSink.lines.join('\n')).toEqual({ dir, branch: 'cospec/open', head: shas.open });
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(shas.open);
    expect(await git(dir, 'symbolic-ref', '--short', 'HEAD')).toBe('cospec/open');
    expect(await git(dir, 'status', '--porcelain')).toBe('');
    expect(readFileSync(join(dir, 'OPEN.md'), 'utf8')).toBe('still open\n');
    // The token is not stored in the clone; only the staging-free result is left in the parent.
    expect(readFileSync(join(dir, '.git', 'config'), 'utf8')).not.toContain(token);
    expect(readdirSync(join(root, 'picked'))).toEqual(['web-app']);
  });

  it('checks out a merged MR whose source branch was deleted, from GitLab’s MR ref', async () => {
    const dir = join(root, 'merged-checkout');
    mkdirSync(dir); // an empty folder the user created in the picker is fine
    const result = await review.checkout({ runId: 'run-new', mrIid: iids.merged, dir });
    expect(result, logSink.lines.join('\n')).toEqual({ dir, branch: 'cospec/merged', head: shas.merged });
    expect(await git(dir, 'rev-parse', 'HEAD')).toBe(shas.merged);
    expect(await git(dir, 'symbolic-ref', '--short', 'HEAD')).toBe('cospec/merged');
    expect(await git(dir, 'status', '--porcelain')).toBe('');
    expect(readFileSync(join(dir, 'MERGED.md'), 'utf8')).toBe('merged, branch deleted\n');
  });

  it('refuses a non-empty or relative folder, and leaves nothing behind when the MR cannot be checked out', async () => {
    const busy = join(root, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'mine.txt'), 'keep me\n');
    const refused = await review.checkout({ runId: 'run-new', mrIid: iids.open, dir: busy }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CospecError);
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/not empty/) });
    expect(readdirSync(busy)).toEqual(['mine.txt']);
    expect(await codeOf(review.checkout({ runId: 'run-new', mrIid: iids.open, dir: 'relative/folder' }))).toBe(
      'INVALID_INPUT',
    );

    // The closed MR's branch still exists but its commits are fine; an unknown MR fails before cloning.
    const parent = join(root, 'failed');
    mkdirSync(parent);
    expect(await codeOf(review.checkout({ runId: 'run-new', mrIid: 999, dir: join(parent, 'x') }))).toBe('NOT_FOUND');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('fails cleanly, without a half-written folder, when GitLab has no copy of a deleted branch', async () => {
    // GitLab keeps the MR's ref; an instance that lost it (a restored backup, a housekeeping bug) is simulated.
    await exec('git', [
      '--git-dir',
      gitlab.repoDir(PROJECT),
      'update-ref',
      '-d',
      `refs/merge-requests/${iids.merged}/head`,
    ]);
    const parent = join(root, 'gone');
    mkdirSync(parent);
    expect(await codeOf(review.checkout({ runId: 'run-new', mrIid: iids.merged, dir: join(parent, 'x') }))).toBe(
      'NOT_FOUND',
    );
    expect(readdirSync(parent)).toEqual([]);
    expect(existsSync(join(parent, 'x'))).toBe(false);
  });
});

describe('reviews list', () => {
  it('lists the open MRs runs opened, refreshed from GitLab, once each, newest first, without orphaned accounts', async () => {
    const items = (await review.list({})).map((i) => ReviewListItemSchema.parse(i));
    expect(items.map((i) => [i.runId, i.mrIid])).toEqual([
      ['run-second', iids.second],
      ['run-new', iids.open],
    ]);
    expect(items[1]).toMatchObject({
      accountId: 'acc-bot',
      projectPath: PROJECT,
      // GitLab's title, not the recorded one.
      title: 'Still open',
      state: 'opened',
      sourceBranch: 'cospec/open',
      targetBranch: 'main',
      pipelineStatus: null,
    });
    expect(items[1]!.webUrl).toContain(`/merge_requests/${iids.open}`);
    expect(Date.parse(items[0]!.updatedAt)).toBeGreaterThanOrEqual(Date.parse(items[1]!.updatedAt));
  });

  it('filters by account; an MR updated on GitLab moves to the top', async () => {
    expect(await review.list({ accountId: 'acc-gone' })).toEqual([]);
    expect(await review.list({ accountId: 'nobody' })).toEqual([]);
    await api('PUT', `/projects/${project}/merge_requests/${iids.open}`, { title: 'Still open, retitled' });
    const items = await review.list({ accountId: 'acc-bot' });
    expect(items.map((i) => [i.mrIid, i.title])).toEqual([
      [iids.open, 'Still open, retitled'],
      [iids.second, 'Second'],
    ]);
  });
});
