import { execFile } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MergeRequestReviewSchema,
  MergeRequestSummarySchema,
  ReviewNoteSchema,
} from '../../../src-shared/model/review';
import type { RunRecord } from '../../../src-shared/model/run';
import type { ReviewService } from '../../../src-main/services/review';
import { codeOf, PROJECT, startReviewFixture, type ReviewFixture } from './fixture';

/*
 * The review service against the GitLab stand-in over TLS (its own CA): a run's clone in which the
 * "agent" committed and pushed a branch and opened MR 1, plus a branch pushed from elsewhere
 * (MR 2) whose commits the clone does not have, so the service must fetch them as the account.
 */
let fx: ReviewFixture;
let gitlab: ReviewFixture['gitlab'];
let root: string;
let workspace: string;
let review: ReviewService['handlers'];
/** The same service on a computer without git: GitLab's diff. */
let noGit: ReviewService['handlers'];
let token: string;
let logSink: ReviewFixture['logSink'];
let git: ReviewFixture['git'];
let api: ReviewFixture['api'];
const iids: Record<'local' | 'remote', number> = { local: 0, remote: 0 };
const project = encodeURIComponent(PROJECT);
const exec = promisify(execFile);
const openMr = (source: string, title: string) => fx.openMr(source, title, `Opened by a run.\n\n${title}`);

beforeAll(async () => {
  fx = await startReviewFixture('review');
  ({ gitlab, root, token, logSink, git, api } = fx);
  const repoUrl = `${gitlab.url}/${PROJECT}.git`;

  // The run's clone: the agent commits a change, a new file and a rename, pushes, opens MR 1.
  workspace = join(root, 'run-1', 'workspace');
  await git(root, 'clone', '-q', repoUrl, workspace);
  await git(workspace, 'checkout', '-q', '-b', 'cospec/greeting');
  writeFileSync(
    join(workspace, 'src/app.js'),
    "export function start(name = 'world') {\n  console.log(`hello, ${name}!`);\n}\n",
  );
  writeFileSync(join(workspace, 'src/greet.test.js'), "import { start } from './app.js';\nstart('test');\n");
  await git(workspace, 'mv', 'src/index.js', 'src/main.js');
  await git(workspace, 'add', '-A');
  await git(workspace, 'commit', '-q', '-m', 'Punctuate the greeting');
  await git(workspace, 'push', '-q', 'origin', 'cospec/greeting');
  iids.local = await openMr('cospec/greeting', 'Punctuate the greeting');

  // A branch the clone never saw.
  const elsewhere = join(root, 'elsewhere');
  await git(root, 'clone', '-q', repoUrl, elsewhere);
  await git(elsewhere, 'checkout', '-q', '-b', 'cospec/docs');
  writeFileSync(join(elsewhere, 'CONTRIBUTING.md'), '# Contributing\n\nOpen a merge request.\n');
  await git(elsewhere, 'add', '-A');
  await git(elsewhere, 'commit', '-q', '-m', 'Add contributing notes');
  await git(elsewhere, 'push', '-q', 'origin', 'cospec/docs');
  iids.remote = await openMr('cospec/docs', 'Add contributing notes');

  // The run's workspace is never read: both services diff what GitLab has (or show GitLab's diff).
  const runs = ['run-1', 'run-gone'].map(
    (id) => ({ id, spec: { accountId: 'acc-bot', projectPath: PROJECT } }) as unknown as RunRecord,
  );
  review = fx.reviewService(runs);
  noGit = fx.reviewService(runs, { noGit: true });
}, 120_000);

afterAll(async () => fx?.close());

describe('review against the GitLab stand-in', () => {
  it('shows the run’s MR with its summary and a local diff that agrees with GitLab', async () => {
    const result = MergeRequestReviewSchema.parse(await review.get({ runId: 'run-1', mrIid: iids.local }));
    expect(result.summary).toMatchObject({
      iid: iids.local,
      title: 'Punctuate the greeting',
      state: 'opened',
      sourceBranch: 'cospec/greeting',
      targetBranch: 'main',
      author: { username: 'cospec-bot' },
      approvals: { approved: false, userHasApproved: false },
      mergeStatus: { canMerge: true, userCanMerge: true, hasConflicts: false },
      pipeline: null,
    });
    expect(result.summary.description).toContain('Opened by a run.');
    expect(result.diff).toMatchObject({
      source: 'local',
      headSha: (await git(workspace, 'rev-parse', 'HEAD')).trim(),
      crossCheck: { pending: true },
    });
    // The comparison with GitLab's list of changes comes apart, so the diff does not wait for it.
    expect(await review.crossCheck({ runId: 'run-1', mrIid: iids.local })).toMatchObject({
      checked: true,
      consistent: true,
      onlyLocal: [],
      onlyGitLab: [],
    });
    const byPath = Object.fromEntries(result.diff.files.map((f) => [f.newPath, f]));
    expect(Object.keys(byPath).sort()).toEqual(['src/app.js', 'src/greet.test.js', 'src/main.js']);
    expect(byPath['src/app.js']).toMatchObject({ type: 'modify', additions: 1, deletions: 1 });
    expect(byPath['src/greet.test.js']).toMatchObject({ type: 'add', additions: 2 });
    expect(byPath['src/main.js']).toMatchObject({ type: 'rename', oldPath: 'src/index.js', similarity: 100 });
    expect(result.diff.stats).toEqual({ files: 3, additions: 3, deletions: 1 });
  });

  it('fetches the MR’s branches into the project’s mirror, as the account, over TLS with the account’s CA', async () => {
    const result = await review.get({ runId: 'run-1', mrIid: iids.remote });
    expect(result.diff.source, logSink.lines.join('\n')).toBe('local');
    expect(result.diff.files.map((f) => [f.newPath, f.type, f.additions])).toEqual([['CONTRIBUTING.md', 'add', 3]]);
    const mirror = join(root, 'mirrors', 'repos', 'acc-bot');
    const [gitDir] = readdirSync(mirror);
    expect((await git(join(mirror, gitDir!), 'rev-parse', `refs/cospec/review/${iids.remote}/head`)).trim()).toBe(
      result.diff.headSha,
    );
    // The token stays out of the mirror's configuration and the workspace is untouched.
    expect(await git(join(mirror, gitDir!), 'config', '--list', '--local')).not.toContain(token);
    expect(await git(workspace, 'for-each-ref', 'refs/cospec')).toBe('');
  });

  it('loads one file’s full diff on demand', async () => {
    const file = await review.fileDiff({ runId: 'run-1', mrIid: iids.local, path: 'src/app.js' });
    expect(file).toMatchObject({ type: 'modify', additions: 1, deletions: 1, tooLarge: false });
    expect(file.hunks[0]!.changes.find((c) => c.type === 'insert')).toMatchObject({
      lineNumber: 2,
      content: '  console.log(`hello, ${name}!`);',
    });
    expect(await codeOf(review.fileDiff({ runId: 'run-1', mrIid: iids.local, path: 'README.md' }))).toBe('NOT_FOUND');
  });

  it('sends hunks for a first page of files, defers the rest, and gives them with fileDiffs as git diff has them', async () => {
    // More files than the first page holds (40 files): a branch pushed from elsewhere, fetched by the service.
    const dir = join(root, 'many-files');
    await git(root, 'clone', '-q', `${gitlab.url}/${PROJECT}.git`, dir);
    await git(dir, 'checkout', '-q', '-b', 'cospec/many-files');
    for (let i = 0; i < 45; i++)
      writeFileSync(
        join(dir, `file-${String(i).padStart(2, '0')}.txt`),
        `line one of ${i}\nline two\n${'x\n'.repeat(i)}`,
      );
    writeFileSync(join(dir, 'README.md'), '# Changed too\n');
    await git(dir, 'add', '-A');
    await git(dir, 'commit', '-q', '-m', 'Many files');
    await git(dir, 'push', '-q', 'origin', 'cospec/many-files');
    const iid = await openMr('cospec/many-files', 'Many files');

    const { diff } = MergeRequestReviewSchema.parse(await review.get({ runId: 'run-1', mrIid: iid }));
    expect(diff.source, logSink.lines.join('\n')).toBe('local');
    expect(diff.files).toHaveLength(46);
    const page = diff.files.filter((f) => !f.deferred);
    const deferred = diff.files.filter((f) => f.deferred);
    expect(page).toHaveLength(40);
    expect(page.every((f) => f.hunks.length > 0)).toBe(true);
    expect(deferred.map((f) => f.hunks.length)).toEqual(deferred.map(() => 0));
    // Deferred files keep their counts, so the totals are the whole MR's.
    const numstat = (await git(dir, 'diff', '--numstat', `${diff.baseSha}..${diff.headSha}`))
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    for (const f of diff.files)
      expect([String(f.additions), String(f.deletions), f.newPath]).toEqual(numstat.find((n) => n[2] === f.newPath));
    expect(diff.stats.files).toBe(46);

    const paths = deferred.map((f) => f.newPath);
    const files = await review.fileDiffs({ runId: 'run-1', mrIid: iid, paths: [...paths, 'not-changed.txt'] });
    expect(files.map((f) => f.newPath)).toEqual(paths);
    for (const file of files) {
      expect(file.deferred).toBeFalsy();
      expect(file).toMatchObject({
        tooLarge: false,
        additions: deferred.find((f) => f.newPath === file.newPath)!.additions,
      });
      // The same lines and hunk headers git diff prints for that path.
      const patch = (
        await git(dir, 'diff', '--no-color', `${diff.baseSha}..${diff.headSha}`, '--', file.newPath)
      ).split('\n');
      const fromGit = patch
        .slice(patch.findIndex((l) => l.startsWith('@@')))
        .filter((l) => l !== '' && !l.startsWith('\\'));
      const fromService = file.hunks.flatMap((h) => [
        h.content,
        ...h.changes.map((c) => (c.type === 'insert' ? '+' : c.type === 'delete' ? '-' : ' ') + c.content),
      ]);
      expect(fromService).toEqual(fromGit);
    }

    // Without git: GitLab's diff, deferred the same way, and fileDiffs reads it from GitLab.
    const gone = await noGit.get({ runId: 'run-gone', mrIid: iid });
    expect(gone.diff.source).toBe('gitlab');
    expect(gone.diff.files.filter((f) => f.deferred).map((f) => f.newPath)).toEqual(paths);
    const fromGitLab = await noGit.fileDiffs({ runId: 'run-gone', mrIid: iid, paths });
    expect(fromGitLab.map((f) => [f.newPath, f.hunks])).toEqual(files.map((f) => [f.newPath, f.hunks]));
  });

  it('falls back to GitLab’s diff, and says so, when git is not installed', async () => {
    const result = await noGit.get({ runId: 'run-gone', mrIid: iids.remote });
    expect(result.diff).toMatchObject({ source: 'gitlab', crossCheck: { checked: false } });
    expect(result.diff.crossCheck.note).toMatch(/git is not installed/);
    expect(await noGit.crossCheck({ runId: 'run-gone', mrIid: iids.remote })).toMatchObject({
      checked: false,
      note: expect.stringMatching(/no local diff/),
    });
    expect(result.diff.files.map((f) => [f.newPath, f.type, f.additions])).toEqual([['CONTRIBUTING.md', 'add', 3]]);
  });

  it('comments on the MR and lists the comment', async () => {
    const note = ReviewNoteSchema.parse(
      await review.comment({ runId: 'run-1', mrIid: iids.local, body: 'Looks good, one nit.' }),
    );
    expect(note).toMatchObject({ body: 'Looks good, one nit.', author: { username: 'cospec-bot' }, position: null });
    const notes = await review.discussions({ runId: 'run-1', mrIid: iids.local });
    expect(notes.map((n) => n.body)).toContain('Looks good, one nit.');
  });

  it('comments on a line of the diff, and GitLab refuses a line outside it', async () => {
    const note = await review.comment({
      runId: 'run-1',
      mrIid: iids.local,
      body: 'Why the comma?',
      position: { path: 'src/app.js', newLine: 2 },
    });
    expect(note.position).toMatchObject({ path: 'src/app.js', newLine: 2 });
    // An unchanged line: GitLab needs both numbers; the UI gives one and the service fills in the other.
    const context = await review.comment({
      runId: 'run-1',
      mrIid: iids.local,
      body: 'Context',
      position: { path: 'src/app.js', newLine: 3 },
    });
    expect(context.position).toMatchObject({ newLine: 3, oldLine: 3 });
    const threads = await review.discussions({ runId: 'run-1', mrIid: iids.local });
    expect(threads.find((n) => n.body === 'Why the comma?')).toMatchObject({
      discussionId: expect.any(String),
      position: { path: 'src/app.js' },
      resolvable: true,
    });
    // A line the diff does not show (the file has 3 lines): the service finds no line to anchor on.
    expect(
      await codeOf(
        review.comment({
          runId: 'run-1',
          mrIid: iids.local,
          body: 'Nowhere',
          position: { path: 'src/app.js', newLine: 40 },
        }),
      ),
    ).toBe('DIFF_POSITION_INVALID');
    // A position on another diff version than the MR's current one.
    const stale = {
      position_type: 'text',
      base_sha: '0'.repeat(40),
      start_sha: '0'.repeat(40),
      head_sha: '0'.repeat(40),
      old_path: 'src/app.js',
      new_path: 'src/app.js',
      new_line: 2,
    };
    await expect(
      api('POST', `/projects/${project}/merge_requests/${iids.local}/discussions`, { body: 'Stale', position: stale }),
    ).rejects.toThrow(/: 400 /);
  });

  it('approves, keeps a second approval harmless, and revokes it', async () => {
    const approved = MergeRequestSummarySchema.parse(await review.approve({ runId: 'run-1', mrIid: iids.local }));
    expect(approved.approvals).toMatchObject({
      approved: true,
      userHasApproved: true,
      approvedBy: [{ username: 'cospec-bot' }],
    });
    expect((await review.approve({ runId: 'run-1', mrIid: iids.local })).approvals?.userHasApproved).toBe(true);
    const revoked = await review.unapprove({ runId: 'run-1', mrIid: iids.local });
    expect(revoked.approvals).toMatchObject({ approved: false, userHasApproved: false });
    await review.approve({ runId: 'run-1', mrIid: iids.local });
  });

  it('refuses to merge if the branch moved since the review, then merges what was reviewed', async () => {
    const { summary } = await review.get({ runId: 'run-1', mrIid: iids.local });
    expect(await codeOf(review.merge({ runId: 'run-1', mrIid: iids.local, sha: '0'.repeat(40) }))).toBe(
      'MR_HEAD_CHANGED',
    );
    const merged = await review.merge({
      runId: 'run-1',
      mrIid: iids.local,
      sha: summary.headSha!,
      removeSourceBranch: true,
    });
    expect(merged).toMatchObject({ state: 'merged', mergeStatus: { canMerge: false } });
    // GitLab's main now contains the reviewed commit, and the source branch is gone.
    const bare = gitlab.repoDir(PROJECT);
    await exec('git', ['--git-dir', bare, 'merge-base', '--is-ancestor', summary.headSha!, 'main']);
    expect(
      (
        await exec('git', ['--git-dir', bare, 'branch', '--list', 'cospec/greeting'], { encoding: 'utf8' })
      ).stdout.trim(),
    ).toBe('');
    expect(await codeOf(review.merge({ runId: 'run-1', mrIid: iids.local }))).toBe('MR_NOT_OPEN');
  });

  it('still shows the diff of the merged MR', async () => {
    const result = await review.get({ runId: 'run-1', mrIid: iids.local });
    expect(result.summary.state).toBe('merged');
    expect(result.diff.files.map((f) => f.newPath).sort()).toEqual(['src/app.js', 'src/greet.test.js', 'src/main.js']);
  });

  it('asks for the MR while the project is still on its way, and a project’s error still comes first', async () => {
    const runs = [{ id: 'run-1', spec: { accountId: 'acc-bot', projectPath: PROJECT } } as unknown as RunRecord];
    const projectPath = `/api/v4/projects/${project}`;
    const served = () => gitlab.requests.filter((r) => r.method === 'GET').map((r) => r.path);
    // A slow answer about the project (a VPN, a busy instance): the MR's own answer does not wait for it.
    const slow = gitlab.faults.add({ match: { path: projectPath, method: 'GET' }, latencyMs: 1500, times: 1 });
    const before = served().length;
    const cold = fx.reviewService(runs);
    MergeRequestReviewSchema.parse(await cold.get({ runId: 'run-1', mrIid: iids.local }));
    slow();
    const order = served().slice(before);
    const mrAt = order.indexOf(`${projectPath}/merge_requests/${iids.local}`);
    expect(mrAt).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(`${projectPath}/merge_requests/${iids.local}/approvals`)).toBeGreaterThanOrEqual(0);
    expect(mrAt).toBeLessThan(order.indexOf(projectPath));

    // The project cannot be read: that is what the reviewer is told, not the MR's own failure.
    const off = gitlab.faults.add({ match: { path: projectPath, method: 'GET' }, status: 403, latencyMs: 300 });
    // (The MR, 999, does not exist: its NOT_FOUND arrives first and must not be what is shown.)
    expect(await codeOf(fx.reviewService(runs).get({ runId: 'run-1', mrIid: 999 }))).toBe('FORBIDDEN');
    off();
  });

  it('closes the other MR; unknown runs and MRs are NOT_FOUND', async () => {
    expect(await review.close({ runId: 'run-1', mrIid: iids.remote })).toMatchObject({ state: 'closed' });
    expect(await codeOf(review.close({ runId: 'run-1', mrIid: iids.remote }))).toBe('MR_NOT_OPEN');
    expect(await codeOf(review.get({ runId: 'run-1', mrIid: 999 }))).toBe('NOT_FOUND');
    expect(await codeOf(review.get({ runId: 'nope', mrIid: 1 }))).toBe('NOT_FOUND');
  });
});
