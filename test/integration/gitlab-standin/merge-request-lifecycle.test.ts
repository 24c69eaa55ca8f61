import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';

/*
 * What happens to a merge request over its life, compared with GitLab's documented behaviour
 * (doc/api/merge_requests.md, doc/api/discussions.md, lib/api/merge_requests.rb):
 * refs/merge-requests/<iid>/head, squash on merge, asynchronous mergeability, and line comments
 * on unchanged lines outside the diff's hunks. Real git against the stand-in, @gitbeaker/rest for the API.
 */

let gitlab: StandIn;
let root: string;
const exec = promisify(execFile);
const as = (username: string) => new Gitlab({ host: gitlab.url, token: gitlab.user(username).token });
const enc = encodeURIComponent;
const status = (error: unknown) => (error as { cause?: { response?: { status?: number } } }).cause?.response?.status;

/** git as a user (async: the stand-in serves git from this process). */
async function git(user: string, dir: string, ...args: string[]): Promise<string> {
  const auth = `Authorization: Basic ${Buffer.from(`${user}:${gitlab.user(user).token}`).toString('base64')}`;
  const { stdout } = await exec('git', ['-C', dir, '-c', `http.extraHeader=${auth}`, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: user,
      GIT_AUTHOR_EMAIL: `${user}@example.com`,
      GIT_COMMITTER_NAME: user,
      GIT_COMMITTER_EMAIL: `${user}@example.com`,
    },
  });
  return stdout.trim();
}
const serverGit = async (project: string, ...args: string[]) =>
  (await exec('git', ['--git-dir', gitlab.repoDir(project), ...args], { encoding: 'utf8' })).stdout.trim();

/** A clone of the project as `user`, in a folder of its own. */
async function clone(user: string, project: string, name: string): Promise<string> {
  const dir = join(root, name);
  await git(user, root, 'clone', '-q', `${gitlab.url}/${project}.git`, dir);
  return dir;
}

/** Commits files on a branch (created from the current HEAD when new) and pushes it; returns the commit. */
async function pushBranch(
  user: string,
  dir: string,
  branch: string,
  files: Record<string, string>,
  message: string,
): Promise<string> {
  await git(user, dir, 'checkout', '-q', '-B', branch);
  for (const [path, content] of Object.entries(files)) writeFileSync(join(dir, path), content);
  await git(user, dir, 'add', '-A');
  await git(user, dir, 'commit', '-q', '-m', message);
  await git(user, dir, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
  return git(user, dir, 'rev-parse', 'HEAD');
}

/** Reads the MR until `done` holds; the stand-in's checks are timed, so wait for the state, never a fixed time. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  root = mkdtempSync(join(tmpdir(), 'standin-mr-life-'));
}, 60_000);
afterAll(async () => {
  await gitlab?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('refs/merge-requests/<iid>/head', () => {
  it('is written when the MR is created, follows pushes, outlives the deleted branch, and cannot be pushed to', async () => {
    const project = 'acme/web-app';
    const dir = await clone('cospec-bot', project, 'head-ref');
    const first = await pushBranch('cospec-bot', dir, 'cospec/head-ref', { 'HEAD_REF.md': 'one\n' }, 'First');
    const mr = await as('cospec-bot').MergeRequests.create(project, 'cospec/head-ref', 'main', 'Head ref');
    const ref = `refs/merge-requests/${mr.iid}/head`;
    // Advertised to fetchers, as GitLab's upload-pack does.
    expect(await git('cospec-bot', dir, 'ls-remote', 'origin', ref)).toBe(`${first}\t${ref}`);

    // Every push to the source branch moves it, by the time the push returns.
    const second = await pushBranch('cospec-bot', dir, 'cospec/head-ref', { 'HEAD_REF.md': 'two\n' }, 'Second');
    expect(await git('cospec-bot', dir, 'ls-remote', 'origin', ref)).toBe(`${second}\t${ref}`);

    // Merged with the branch deleted: the ref stays, and a fresh clone can fetch the MR's commits.
    const merged = await as('alice').MergeRequests.merge(project, mr.iid, { shouldRemoveSourceBranch: true });
    expect(merged.state).toBe('merged');
    expect(await git('cospec-bot', dir, 'ls-remote', 'origin', 'refs/heads/cospec/head-ref')).toBe('');
    const later = await clone('cospec-bot', project, 'head-ref-later');
    await git('cospec-bot', later, 'fetch', '-q', 'origin', ref);
    expect(await git('cospec-bot', later, 'rev-parse', 'FETCH_HEAD')).toBe(second);

    // GitLab hides its internal refs from receive-pack: nobody moves an MR's head by pushing to it.
    const refused = await git('cospec-bot', dir, 'push', 'origin', `${first}:${ref}`).catch(
      (e: { stderr?: string }) => e,
    );
    expect(String((refused as { stderr?: string }).stderr)).toMatch(/deny updating a hidden ref/);
    expect(await serverGit(project, 'rev-parse', ref)).toBe(second);
  });
});

describe('squash on merge', () => {
  it('squash: true lands one commit by the MR author with the squash message, merged with a merge commit', async () => {
    const project = 'acme/web-app';
    const dir = await clone('cospec-bot', project, 'squash');
    await pushBranch('cospec-bot', dir, 'cospec/squash', { 'A.md': 'a\n' }, 'Add A');
    const head = await pushBranch('cospec-bot', dir, 'cospec/squash', { 'B.md': 'b\n' }, 'Add B');
    const base = await serverGit(project, 'merge-base', 'main', head);
    const mainBefore = await serverGit(project, 'rev-parse', 'main');
    const mr = await as('cospec-bot').MergeRequests.create(project, 'cospec/squash', 'main', 'Add A and B');
    // Created through the API without `squash`: off, in a default_off project.
    expect(mr).toMatchObject({ squash: false, squash_on_merge: false, squash_commit_sha: null });

    const merged = await as('alice').MergeRequests.merge(project, mr.iid, {
      squash: true,
      squashCommitMessage: 'Add A and B in one commit',
    });
    expect(merged).toMatchObject({ state: 'merged', squash: true, squash_on_merge: true });
    const squashSha = merged.squash_commit_sha as string;
    expect(squashSha).toMatch(/^[0-9a-f]{40}$/);
    // main: a merge commit of the old main and the squash commit; the squash commit sits on the merge base.
    expect((await serverGit(project, 'log', '-1', '--format=%P', 'main')).split(' ')).toEqual([mainBefore, squashSha]);
    expect(merged.merge_commit_sha).toBe(await serverGit(project, 'rev-parse', 'main'));
    expect(await serverGit(project, 'log', '-1', '--format=%P%n%an%n%cn%n%B', squashSha)).toBe(
      `${base}\n${gitlab.user('cospec-bot').name}\n${gitlab.user('alice').name}\nAdd A and B in one commit`,
    );
    expect(await serverGit(project, 'rev-parse', `${squashSha}^{tree}`)).toBe(
      await serverGit(project, 'rev-parse', `${head}^{tree}`),
    );
  });

  it('squash: false at merge does not undo the MR’s own squash flag (GitLab only ever turns it on)', async () => {
    const project = 'acme/unprotected-lib';
    const dir = await clone('cospec-bot', project, 'squash-flag');
    await pushBranch('cospec-bot', dir, 'cospec/flag', { 'C.md': 'c\n' }, 'Add C');
    const mr = await as('cospec-bot').MergeRequests.create(project, 'cospec/flag', 'main', 'Add C', { squash: true });
    expect(mr).toMatchObject({ squash: true, squash_on_merge: true });
    const merged = await as('cospec-bot').MergeRequests.merge(project, mr.iid, { squash: false });
    expect(merged.squash_commit_sha).toMatch(/^[0-9a-f]{40}$/);
    // Without a squash message GitLab uses the MR's title.
    expect(await serverGit(project, 'log', '-1', '--format=%s', merged.squash_commit_sha as string)).toBe('Add C');
  });

  it('the project’s squash_option: "always" refuses an MR that does not squash, "never" ignores squash', async () => {
    const project = 'acme/unprotected-lib';
    // Only Maintainers change project settings.
    await expect(as('cospec-bot').Projects.edit(project, { squashOption: 'always' })).rejects.toSatisfy(
      (e) => status(e) === 403,
    );
    expect(await as('alice').Projects.edit(project, { squashOption: 'always' })).toMatchObject({
      squash_option: 'always',
    });
    const dir = await clone('cospec-bot', project, 'squash-always');
    await pushBranch('cospec-bot', dir, 'cospec/always', { 'D.md': 'd\n' }, 'Add D');
    const mr = await as('cospec-bot').MergeRequests.create(project, 'cospec/always', 'main', 'Add D');
    expect(mr).toMatchObject({ squash: false, squash_on_merge: true });
    // MergeService refuses (missing_required_squash?), so the API answers 422 and the MR says why.
    const res = await fetch(`${gitlab.url}/api/v4/projects/${enc(project)}/merge_requests/${mr.iid}/merge`, {
      method: 'PUT',
      headers: { 'PRIVATE-TOKEN': gitlab.user('cospec-bot').token },
    });
    expect([res.status, await res.json()]).toEqual([422, { message: 'Branch cannot be merged' }]);
    expect((await as('cospec-bot').MergeRequests.show(project, mr.iid)).merge_error).toBe(
      'This project requires squashing commits when merge requests are accepted.',
    );
    const merged = await as('cospec-bot').MergeRequests.merge(project, mr.iid, { squash: true });
    expect(merged).toMatchObject({ state: 'merged', merge_error: null });
    expect(merged.squash_commit_sha).toMatch(/^[0-9a-f]{40}$/);

    await as('alice').Projects.edit(project, { squashOption: 'never' });
    await pushBranch('cospec-bot', dir, 'cospec/never', { 'E.md': 'e\n' }, 'Add E');
    const never = await as('cospec-bot').MergeRequests.create(project, 'cospec/never', 'main', 'Add E', {
      squash: true,
    });
    expect(never).toMatchObject({ squash: true, squash_on_merge: false });
    const plain = await as('cospec-bot').MergeRequests.merge(project, never.iid, { squash: true });
    expect(plain).toMatchObject({ state: 'merged', squash_commit_sha: null });
    await as('alice').Projects.edit(project, { squashOption: 'default_off' });
  });
});

describe('asynchronous mergeability', () => {
  it('a new MR is preparing, then checking (merge answers 422 meanwhile), then mergeable', async () => {
    const project = 'acme/web-app';
    const dir = await clone('cospec-bot', project, 'async');
    await pushBranch('cospec-bot', dir, 'cospec/async', { 'ASYNC.md': 'async\n' }, 'Async');
    gitlab.setMergeabilityDelay(1_500);
    // Held, each phase ends only when the test steps it: a loaded machine cannot skip one unseen.
    const release = gitlab.holdMergeabilityChecks();
    try {
      const bot = as('cospec-bot');
      const mr = await bot.MergeRequests.create(project, 'cospec/async', 'main', 'Async');
      // public_merge_status shows a preparing MR as checking; prepared_at fills in once preparation ends.
      expect(mr).toMatchObject({
        merge_status: 'checking',
        detailed_merge_status: 'preparing',
        prepared_at: null,
        has_conflicts: false,
      });
      const early = await fetch(`${gitlab.url}/api/v4/projects/${enc(project)}/merge_requests/${mr.iid}/merge`, {
        method: 'PUT',
        headers: { 'PRIVATE-TOKEN': gitlab.user('alice').token },
      });
      expect([early.status, await early.json()]).toEqual([422, { message: 'Branch cannot be merged' }]);
      expect(await bot.MergeRequests.show(project, mr.iid)).toMatchObject({ detailed_merge_status: 'preparing' });
      gitlab.stepMergeabilityCheck();
      expect(await bot.MergeRequests.show(project, mr.iid)).toMatchObject({
        merge_status: 'checking',
        detailed_merge_status: 'checking',
        prepared_at: expect.any(String),
      });
      expect(await bot.MergeRequests.show(project, mr.iid)).toMatchObject({ detailed_merge_status: 'checking' });
      release();
      const ready = await until(
        () => bot.MergeRequests.show(project, mr.iid),
        (m) => m.detailed_merge_status === 'mergeable',
        'the first check',
      );
      expect(ready).toMatchObject({ merge_status: 'can_be_merged', prepared_at: expect.any(String) });

      // A push marks it unchecked. A list does not recheck it (skip_merge_status_recheck) unless asked.
      await pushBranch('cospec-bot', dir, 'cospec/async', { 'ASYNC.md': 'async, again\n' }, 'Again');
      const listed = async (recheck?: boolean) =>
        (
          await bot.MergeRequests.all({
            projectId: project,
            iids: [mr.iid],
            ...(recheck ? { withMergeStatusRecheck: true } : {}),
          })
        )[0]!;
      expect(await listed()).toMatchObject({ merge_status: 'unchecked', detailed_merge_status: 'unchecked' });
      expect(await listed()).toMatchObject({ detailed_merge_status: 'unchecked' });
      expect(await listed(true)).toMatchObject({ merge_status: 'checking', detailed_merge_status: 'checking' });
      await until(
        () => bot.MergeRequests.show(project, mr.iid),
        (m) => m.detailed_merge_status === 'mergeable',
        'the recheck',
      );
      expect((await as('alice').MergeRequests.merge(project, mr.iid)).state).toBe('merged');
    } finally {
      release();
      gitlab.setMergeabilityDelay(0);
    }
  });

  it('merging an unchecked MR checks it synchronously and merges (no background check holds it)', async () => {
    const project = 'acme/web-app';
    const dir = await clone('cospec-bot', project, 'unchecked');
    await pushBranch('cospec-bot', dir, 'cospec/unchecked', { 'U.md': 'u\n' }, 'U');
    const mr = await as('cospec-bot').MergeRequests.create(project, 'cospec/unchecked', 'main', 'Unchecked');
    gitlab.setMergeabilityDelay(60_000);
    try {
      await pushBranch('cospec-bot', dir, 'cospec/unchecked', { 'U.md': 'u2\n' }, 'U2');
      const [listed] = await as('cospec-bot').MergeRequests.all({ projectId: project, iids: [mr.iid] });
      expect(listed).toMatchObject({ detailed_merge_status: 'unchecked' });
      expect((await as('alice').MergeRequests.merge(project, mr.iid)).state).toBe('merged');
    } finally {
      gitlab.setMergeabilityDelay(0);
    }
  });
});

describe('line comments on unchanged lines outside the hunks', () => {
  it('accepts old_line and new_line of an unfolded line, and refuses numbers that do not match', async () => {
    const project = 'acme/unprotected-lib';
    const dir = await clone('cospec-bot', project, 'unfold');
    const long = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    await pushBranch('cospec-bot', dir, 'main', { 'long.txt': long }, 'A long file');
    // Two lines inserted at the top: old line n is new line n + 2 below the hunk.
    await pushBranch('cospec-bot', dir, 'cospec/unfold', { 'long.txt': `new 1\nnew 2\n${long}` }, 'Two new lines');
    const bot = as('cospec-bot');
    const mr = await bot.MergeRequests.create(project, 'cospec/unfold', 'main', 'Unfold');
    const refs = (await bot.MergeRequests.show(project, mr.iid)).diff_refs as unknown as Record<string, string>;
    const thread = (old_line: number | undefined, new_line: number | undefined) =>
      fetch(`${gitlab.url}/api/v4/projects/${enc(project)}/merge_requests/${mr.iid}/discussions`, {
        method: 'POST',
        headers: { 'PRIVATE-TOKEN': gitlab.user('cospec-bot').token, 'content-type': 'application/json' },
        body: JSON.stringify({
          body: `on ${old_line}/${new_line}`,
          position: {
            position_type: 'text',
            base_sha: refs.base_sha,
            start_sha: refs.start_sha,
            head_sha: refs.head_sha,
            old_path: 'long.txt',
            new_path: 'long.txt',
            ...(old_line ? { old_line } : {}),
            ...(new_line ? { new_line } : {}),
          },
        }),
      });
    // Line 20 of the old file is line 22 now, far below the hunk (which shows new lines 1-5).
    const unfolded = await thread(20, 22);
    expect(unfolded.status).toBe(201);
    expect(((await unfolded.json()) as { notes: Array<{ type: string; position: unknown }> }).notes[0]).toMatchObject({
      type: 'DiffNote',
      position: { old_line: 20, new_line: 22, new_path: 'long.txt' },
    });
    // The last line, and a line inside the hunk as the diff shows it, are fine too.
    expect((await thread(30, 32)).status).toBe(201);
    expect((await thread(1, 3)).status).toBe(201);
    // Numbers that name no line of the file as GitLab unfolds it: 400, line_code can't be blank.
    for (const [old_line, new_line] of [
      [22, 22],
      [31, 33],
      [undefined, 22],
      [20, undefined],
    ] as const) {
      const res = await thread(old_line, new_line);
      expect(res.status, `${old_line}/${new_line}`).toBe(400);
      expect(JSON.stringify(await res.json())).toMatch(/line_code/);
    }
  });
});
