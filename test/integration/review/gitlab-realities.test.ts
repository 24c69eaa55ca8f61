import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MergeRequestReviewSchema, MergeRequestSummarySchema } from '../../../src-shared/model/review';
import type { RunRecord } from '../../../src-shared/model/run';
import type { ReviewService } from '../../../src-main/services/review';
import { PROJECT, startReviewFixture, type ReviewFixture } from './fixture';

/*
 * The review service against what real GitLab does and the stand-in now imitates: an MR whose
 * source branch was deleted after the merge (only refs/merge-requests/<iid>/head has its commits),
 * squashing as the project and the MR decide, mergeability that GitLab computes in the background
 * after a push, and line comments on unchanged lines outside the diff's hunks.
 */
let fx: ReviewFixture;
let review: ReviewService['handlers'];
let workspace: string;
const LIB = 'acme/unprotected-lib';
const exec = promisify(execFile);
const git = async (dir: string, ...args: string[]) => (await fx.git(dir, ...args)).trim();
const bare = (project: string, ...args: string[]) =>
  exec('git', ['--git-dir', fx.gitlab.repoDir(project), ...args], { encoding: 'utf8' }).then((r) => r.stdout.trim());

/** Pushes a branch from a clone of `project` made elsewhere (the run's clone never sees it). */
async function pushElsewhere(project: string, branch: string, files: Record<string, string>): Promise<string> {
  const dir = join(fx.root, `elsewhere-${branch.replace(/\W/g, '-')}-${Date.now()}`);
  await git(fx.root, 'clone', '-q', `${fx.gitlab.url}/${project}.git`, dir);
  await git(dir, 'checkout', '-q', '-b', branch);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '-q', '-m', `Change ${Object.keys(files).join(', ')}`);
  await git(dir, 'push', '-q', 'origin', branch);
  return git(dir, 'rev-parse', 'HEAD');
}

async function openMrIn(project: string, source: string, title: string, extra: object = {}): Promise<number> {
  const mr = (await fx.api('POST', `/projects/${encodeURIComponent(project)}/merge_requests`, {
    source_branch: source,
    target_branch: 'main',
    title,
    ...extra,
  })) as { iid: number };
  return mr.iid;
}

/** A project setting changed by a Maintainer of acme (alice), as on GitLab. */
async function setSquashOption(project: string, option: string): Promise<void> {
  const res = await fetch(`${fx.gitlab.url}/api/v4/projects/${encodeURIComponent(project)}`, {
    method: 'PUT',
    headers: { 'PRIVATE-TOKEN': fx.gitlab.user('alice').token, 'content-type': 'application/json' },
    body: JSON.stringify({ squash_option: option }),
    // @ts-expect-error undici's dispatcher option on Node's fetch
    dispatcher: fx.net.dispatcher,
  });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  fx = await startReviewFixture('realities');
  // The run's clone, made before any of the branches below exist.
  workspace = join(fx.root, 'run-1', 'workspace');
  await git(fx.root, 'clone', '-q', `${fx.gitlab.url}/${PROJECT}.git`, workspace);
  const runs = [
    { id: 'run-1', spec: { accountId: 'acc-bot', projectPath: PROJECT } },
    { id: 'run-lib', spec: { accountId: 'acc-bot', projectPath: LIB } },
  ] as unknown as RunRecord[];
  review = fx.reviewService(runs);
}, 120_000);

afterAll(async () => fx?.close());

describe('review after the source branch was deleted', () => {
  it('diffs a merged MR from GitLab’s refs/merge-requests/<iid>/head, fetched into the project’s mirror', async () => {
    const head = await pushElsewhere(PROJECT, 'cospec/gone', { 'GONE.md': '# Gone\n\nThe branch is deleted.\n' });
    const iid = await openMrIn(PROJECT, 'cospec/gone', 'Gone after merging');
    await fx.api('PUT', `/projects/${encodeURIComponent(PROJECT)}/merge_requests/${iid}/merge`, {
      should_remove_source_branch: true,
    });
    expect(await bare(PROJECT, 'branch', '--list', 'cospec/gone')).toBe('');

    const result = MergeRequestReviewSchema.parse(await review.get({ runId: 'run-1', mrIid: iid }));
    expect(result.summary.state).toBe('merged');
    expect(result.diff, fx.logSink.lines.join('\n')).toMatchObject({ source: 'local', headSha: head });
    expect(result.diff.files.map((f) => [f.newPath, f.type, f.additions])).toEqual([['GONE.md', 'add', 3]]);
    const mirrors = join(fx.root, 'mirrors', 'repos', 'acc-bot');
    const mirror = readdirSync(mirrors).find((name) => name.endsWith('.git'));
    expect(await git(join(mirrors, mirror!), 'rev-parse', `refs/cospec/review/${iid}/head`)).toBe(head);
    // The run's workspace is never fetched into.
    expect(await git(workspace, 'for-each-ref', 'refs/cospec')).toBe('');
  });
});

describe('squash on merge', () => {
  it('squashes when asked, and keeps the commits when the user unticks squash on an MR that asked for it', async () => {
    await pushElsewhere(PROJECT, 'cospec/squashed', { 'SQUASHED.md': 'one commit\n' });
    const squashed = await openMrIn(PROJECT, 'cospec/squashed', 'Squashed');
    const summary = await review.summary({ runId: 'run-1', mrIid: squashed });
    expect(summary).toMatchObject({ squashOption: 'default_off', squashDefault: false });
    const merged = await review.merge({
      runId: 'run-1',
      mrIid: squashed,
      squash: true,
      squashCommitMessage: 'Squashed, as reviewed',
    });
    expect(merged.state).toBe('merged');
    const mr = (await fx.api('GET', `/projects/${encodeURIComponent(PROJECT)}/merge_requests/${squashed}`)) as {
      squash_commit_sha: string | null;
    };
    expect(mr.squash_commit_sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await bare(PROJECT, 'log', '-1', '--format=%s', mr.squash_commit_sha!)).toBe('Squashed, as reviewed');

    // The MR was opened with squash on (the agent asked for it); the reviewer unticks it. GitLab's merge
    // endpoint ignores squash=false, so the service clears the MR's flag first.
    const kept = await pushElsewhere(PROJECT, 'cospec/kept', { 'KEPT.md': 'kept as is\n' });
    const keptIid = await openMrIn(PROJECT, 'cospec/kept', 'Kept', { squash: true });
    expect((await review.summary({ runId: 'run-1', mrIid: keptIid })).squashDefault).toBe(true);
    await review.merge({ runId: 'run-1', mrIid: keptIid, squash: false });
    const keptMr = (await fx.api('GET', `/projects/${encodeURIComponent(PROJECT)}/merge_requests/${keptIid}`)) as {
      squash_commit_sha: string | null;
      merge_commit_sha: string;
    };
    expect(keptMr.squash_commit_sha).toBeNull();
    expect((await bare(PROJECT, 'log', '-1', '--format=%P', keptMr.merge_commit_sha)).split(' ')[1]).toBe(kept);
  });

  it('under the project’s "always" the summary says so and a merge squashes without being asked', async () => {
    await setSquashOption(LIB, 'always');
    try {
      await pushElsewhere(LIB, 'cospec/always', { 'ALWAYS.md': 'always squashed\n' });
      const iid = await openMrIn(LIB, 'cospec/always', 'Always');
      const summary = MergeRequestSummarySchema.parse(await review.summary({ runId: 'run-lib', mrIid: iid }));
      expect(summary).toMatchObject({ squashOption: 'always', squashDefault: true });
      // Even a client that sends squash=false gets a squash: GitLab would refuse the merge otherwise.
      expect((await review.merge({ runId: 'run-lib', mrIid: iid, squash: false })).state).toBe('merged');
      const mr = (await fx.api('GET', `/projects/${encodeURIComponent(LIB)}/merge_requests/${iid}`)) as {
        squash_commit_sha: string | null;
      };
      expect(mr.squash_commit_sha).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      await setSquashOption(LIB, 'default_off');
    }
  });
});

describe('mergeability computed in the background', () => {
  it('the summary says "checking" (not a refusal) until GitLab is done, and merge waits for it', async () => {
    // GitLab's background check is held while the test looks at it and released explicitly, so a busy
    // machine cannot finish it before the first read.
    let release = fx.gitlab.holdMergeabilityChecks();
    try {
      await pushElsewhere(PROJECT, 'cospec/async', { 'ASYNC.md': 'async\n' });
      const iid = await openMrIn(PROJECT, 'cospec/async', 'Async');
      const first = await review.get({ runId: 'run-1', mrIid: iid });
      expect(first.summary.mergeStatus).toMatchObject({ checking: true, canMerge: false, hasConflicts: false });
      expect((await review.summary({ runId: 'run-1', mrIid: iid })).mergeStatus.checking).toBe(true);
      release();
      // What the review header does while it shows "checking": read the summary again until it is final.
      const deadline = Date.now() + 30_000;
      let summary = first.summary;
      while (summary.mergeStatus.checking && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        summary = await review.summary({ runId: 'run-1', mrIid: iid });
      }
      expect(summary.mergeStatus).toMatchObject({ checking: false, canMerge: true, detailed: 'mergeable' });

      // A push makes GitLab check again; merging right away waits for the check instead of failing.
      release = fx.gitlab.holdMergeabilityChecks();
      const dir = join(fx.root, 'async-push');
      await git(fx.root, 'clone', '-q', '--branch', 'cospec/async', `${fx.gitlab.url}/${PROJECT}.git`, dir);
      writeFileSync(join(dir, 'ASYNC.md'), 'async, pushed again\n');
      await git(dir, 'commit', '-q', '-am', 'Again');
      await git(dir, 'push', '-q', 'origin', 'cospec/async');
      const head = await git(dir, 'rev-parse', 'HEAD');
      expect((await review.summary({ runId: 'run-1', mrIid: iid })).mergeStatus.checking).toBe(true);
      const before = fx.gitlab.requests.length;
      const merging = review.merge({ runId: 'run-1', mrIid: iid, sha: head });
      // Released only once the merge has read "checking" more than once, i.e. it is waiting.
      const mrReads = () =>
        fx.gitlab.requests.slice(before).filter((r) => r.method === 'GET' && r.path.endsWith(`/merge_requests/${iid}`))
          .length;
      await vi.waitFor(() => expect(mrReads()).toBeGreaterThanOrEqual(2), { timeout: 30_000, interval: 50 });
      expect(fx.gitlab.mergeRequests(PROJECT).find((m) => m.iid === iid)?.state).toBe('opened');
      release();
      expect(await merging).toMatchObject({ state: 'merged' });
      await exec('git', ['--git-dir', fx.gitlab.repoDir(PROJECT), 'merge-base', '--is-ancestor', head, 'main']);
    } finally {
      release();
    }
  });
});

describe('line comments outside the hunks', () => {
  it('comments on an unchanged line far below the change; GitLab takes both line numbers', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    // The long file lands on main first (acme/unprotected-lib lets Developers push to main).
    await pushElsewhere(LIB, 'cospec/long-base', { 'long.txt': long });
    const baseIid = await openMrIn(LIB, 'cospec/long-base', 'Long file');
    await review.merge({ runId: 'run-lib', mrIid: baseIid });
    await pushElsewhere(LIB, 'cospec/long-change', { 'long.txt': `inserted\n${long}` });
    const iid = await openMrIn(LIB, 'cospec/long-change', 'Insert a line');
    // The diff's hunk covers new lines 1-4; the line is outside it.
    const note = await review.comment({
      runId: 'run-lib',
      mrIid: iid,
      body: 'About line 30',
      position: { path: 'long.txt', newLine: 31 },
    });
    expect(note.position).toMatchObject({ path: 'long.txt', newLine: 31, oldLine: 30 });
    const threads = await review.discussions({ runId: 'run-lib', mrIid: iid });
    expect(threads.find((n) => n.body === 'About line 30')).toMatchObject({
      position: { newLine: 31, oldLine: 30 },
      resolvable: true,
    });
  });
});
