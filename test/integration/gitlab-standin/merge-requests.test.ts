import { execFileSync } from 'node:child_process';
import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';

/** Merge requests and issues through @gitbeaker/rest, with merges checked in the bare repository. */

let gitlab: StandIn;
const as = (username: string) => new Gitlab({ host: gitlab.url, token: gitlab.user(username).token });
const status = (error: unknown) => (error as { cause?: { response?: { status?: number } } }).cause?.response?.status;
const serverGit = (project: string, ...args: string[]) =>
  execFileSync('git', ['--git-dir', gitlab.repoDir(project), ...args], { encoding: 'utf8' }).trim();

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
});
afterAll(async () => {
  await gitlab?.close();
});

describe('merge requests', () => {
  it('a Developer opens one; it is listed, shown and recorded with its author', async () => {
    const bot = as('cospec-bot');
    const mr = await bot.MergeRequests.create('acme/web-app', 'feature/login', 'main', 'Add login', {
      description: 'Adds a login form',
      labels: 'agent,login',
    });
    expect(mr).toMatchObject({
      iid: 1,
      state: 'opened',
      source_branch: 'feature/login',
      target_branch: 'main',
      author: { username: 'cospec-bot' },
      labels: ['agent', 'login'],
      detailed_merge_status: 'mergeable',
      has_conflicts: false,
      web_url: `${gitlab.url}/acme/web-app/-/merge_requests/1`,
      references: { full: 'acme/web-app!1' },
    });
    expect(mr.sha).toBe(serverGit('acme/web-app', 'rev-parse', 'feature/login'));
    expect(gitlab.mergeRequests('acme/web-app')).toEqual([
      expect.objectContaining({ iid: 1, author_id: gitlab.user('cospec-bot').id }),
    ]);
    expect((await bot.MergeRequests.show('acme/web-app', 1)).title).toBe('Add login');
  });

  it('filters the list by state, branches, author and labels', async () => {
    const maya = as('maya');
    await maya.MergeRequests.create('acme/web-app', 'feature/conflict', 'main', 'Draft: Retitle');
    const all = (q: Record<string, unknown>) =>
      maya.MergeRequests.all({ projectId: 'acme/web-app', ...q }).then((l) => l.map((m) => m.iid).sort());
    expect(await all({})).toEqual([1, 2]);
    expect(await all({ sourceBranch: 'feature/login' })).toEqual([1]);
    expect(await all({ authorId: gitlab.user('maya').id })).toEqual([2]);
    expect(await all({ labels: 'login' })).toEqual([1]);
    expect(await all({ state: 'merged' })).toEqual([]);
    expect(await all({ search: 'retitle' })).toEqual([2]);
  });

  it('a Draft: title makes a draft, and a conflicting branch shows as not mergeable', async () => {
    const mr = await as('maya').MergeRequests.show('acme/web-app', 2);
    expect(mr).toMatchObject({
      draft: true,
      title: 'Draft: Retitle',
      has_conflicts: true,
      merge_status: 'cannot_be_merged',
      detailed_merge_status: 'draft_status',
    });
  });

  it('refuses a Reporter (403), a duplicate (409) and a missing title (400)', async () => {
    await expect(as('rita').MergeRequests.create('acme/web-app', 'feature/login', 'main', 'x')).rejects.toSatisfy(
      (e) => status(e) === 403,
    );
    await expect(as('maya').MergeRequests.create('acme/web-app', 'feature/login', 'main', 'again')).rejects.toSatisfy(
      (e) => status(e) === 409,
    );
    const res = await fetch(`${gitlab.url}/api/v4/projects/acme%2Fweb-app/merge_requests`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': gitlab.user('maya').token, 'content-type': 'application/json' },
      body: JSON.stringify({ source_branch: 'feature/login', target_branch: 'main' }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'title is missing' });
  });

  it('shows changes, paginated diffs and commits from the repository', async () => {
    const bot = as('cospec-bot');
    const changes = await bot.MergeRequests.showChanges('acme/web-app', 1);
    expect(changes.changes).toEqual([
      expect.objectContaining({
        new_path: 'src/login.js',
        new_file: true,
        diff: '@@ -0,0 +1 @@\n+export const login = () => true;\n',
      }),
    ]);
    expect(await bot.MergeRequests.allDiffs('acme/web-app', 1)).toEqual([
      expect.objectContaining({ new_path: 'src/login.js', a_mode: '0', b_mode: '100644' }),
    ]);
    expect((await bot.MergeRequests.allCommits('acme/web-app', 1)).map((c) => c.title)).toEqual(['Add a login form']);
  });

  it('notes: anyone who can read the MR comments', async () => {
    const note = await as('rita').MergeRequestNotes.create('acme/web-app', 1, 'Looks good');
    expect(note).toMatchObject({
      body: 'Looks good',
      author: { username: 'rita' },
      noteable_type: 'MergeRequest',
      noteable_iid: 1,
      system: false,
    });
    expect((await as('cospec-bot').MergeRequestNotes.all('acme/web-app', 1)).map((n) => n.body)).toEqual([
      'Looks good',
    ]);
  });

  it('approve once per user (a second approval is 401), Reporters cannot approve', async () => {
    const alice = as('alice');
    const state = await alice.MergeRequestApprovals.approve('acme/web-app', 1);
    expect(state).toMatchObject({ approved_by: [{ user: { username: 'alice' } }] });
    await expect(alice.MergeRequestApprovals.approve('acme/web-app', 1)).rejects.toSatisfy((e) => status(e) === 401);
    await expect(as('rita').MergeRequestApprovals.approve('acme/web-app', 1)).rejects.toSatisfy(
      (e) => status(e) === 403,
    );
  });

  it('merge really merges in the bare repository (a merge commit on main)', async () => {
    const before = serverGit('acme/web-app', 'rev-parse', 'main');
    const head = serverGit('acme/web-app', 'rev-parse', 'feature/login');
    const merged = await as('cospec-bot').MergeRequests.merge('acme/web-app', 1);
    expect(merged).toMatchObject({
      state: 'merged',
      merged_by: { username: 'cospec-bot' },
      detailed_merge_status: 'not_open',
    });
    const main = serverGit('acme/web-app', 'rev-parse', 'main');
    expect(merged.merge_commit_sha).toBe(main);
    expect(serverGit('acme/web-app', 'log', '-1', '--format=%P', 'main').split(' ')).toEqual([before, head]);
    expect(serverGit('acme/web-app', 'show', 'main:src/login.js')).toBe('export const login = () => true;');
    // after the merge, its diff stays what was merged
    expect(
      (await as('cospec-bot').MergeRequests.showChanges('acme/web-app', 1)).changes.map((c) => c.new_path),
    ).toEqual(['src/login.js']);
    expect(
      (await as('cospec-bot').MergeRequests.all({ projectId: 'acme/web-app', state: 'merged' })).map((m) => m.iid),
    ).toEqual([1]);
  });

  // GitLab 16+ answers a conflict with 422 "Branch cannot be merged" (lib/api/merge_requests.rb); 406 was older.
  it('refuses to merge a draft (405), a conflict (422) and a Developer into a Maintainer-merge branch (401)', async () => {
    await expect(as('maya').MergeRequests.merge('acme/web-app', 2)).rejects.toSatisfy((e) => status(e) === 405);
    await as('maya').MergeRequests.edit('acme/web-app', 2, { title: 'Retitle' });
    expect((await as('maya').MergeRequests.show('acme/web-app', 2)).draft).toBe(true); // the draft flag is separate
    await fetch(`${gitlab.url}/api/v4/projects/acme%2Fweb-app/merge_requests/2`, {
      method: 'PUT',
      headers: { 'PRIVATE-TOKEN': gitlab.user('maya').token, 'content-type': 'application/json' },
      body: JSON.stringify({ draft: false }),
    });
    const conflict = await fetch(`${gitlab.url}/api/v4/projects/acme%2Fweb-app/merge_requests/2/merge`, {
      method: 'PUT',
      headers: { 'PRIVATE-TOKEN': gitlab.user('maya').token },
    });
    expect([conflict.status, await conflict.json()]).toEqual([422, { message: 'Branch cannot be merged' }]);
    const api = await as('maya').MergeRequests.create('acme/api-service', 'develop', 'main', 'Start v2');
    await expect(as('maya').MergeRequests.merge('acme/api-service', api.iid)).rejects.toSatisfy(
      (e) => status(e) === 401,
    );
    expect((await as('alice').MergeRequests.merge('acme/api-service', api.iid)).state).toBe('merged');
  });

  it('closes and reopens', async () => {
    const maya = as('maya');
    expect((await maya.MergeRequests.edit('acme/web-app', 2, { stateEvent: 'close' })).state).toBe('closed');
    expect((await maya.MergeRequests.edit('acme/web-app', 2, { stateEvent: 'reopen' })).state).toBe('opened');
  });
});

describe('issues', () => {
  it('a Guest files an issue; it is listed, shown and recorded', async () => {
    const issue = await as('gus').Issues.create('acme/web-app', 'The page is blank', {
      description: 'Since Monday',
      labels: 'bug',
    });
    expect(issue).toMatchObject({
      iid: 1,
      state: 'opened',
      title: 'The page is blank',
      author: { username: 'gus' },
      labels: ['bug'],
      web_url: `${gitlab.url}/acme/web-app/-/issues/1`,
    });
    expect(gitlab.issues('acme/web-app')).toEqual([
      expect.objectContaining({ iid: 1, author_id: gitlab.user('gus').id }),
    ]);
    expect((await as('cospec-bot').Issues.show(1, { projectId: 'acme/web-app' })).title).toBe('The page is blank');
  });

  it('lists with filters and takes notes', async () => {
    const bot = as('cospec-bot');
    await bot.Issues.create('acme/web-app', 'Found while working', { labels: 'agent' });
    const list = (q: Record<string, unknown>) =>
      bot.Issues.all({ projectId: 'acme/web-app', ...q }).then((l) => l.map((i) => i.iid).sort());
    expect(await list({})).toEqual([1, 2]);
    expect(await list({ labels: 'agent' })).toEqual([2]);
    expect(await list({ authorId: gitlab.user('gus').id })).toEqual([1]);
    expect(await list({ search: 'blank' })).toEqual([1]);
    const note = await bot.IssueNotes.create('acme/web-app', 2, 'Working on it');
    expect(note).toMatchObject({ noteable_type: 'Issue', noteable_iid: 2 });
    expect((await bot.Issues.edit('acme/web-app', 2, { stateEvent: 'close' })).state).toBe('closed');
    expect(await list({ state: 'opened' })).toEqual([1]);
  });

  it('no issue access without project access', async () => {
    await expect(as('cospec-bot').Issues.create('tools/secret', 'x')).rejects.toSatisfy((e) => status(e) === 404);
  });
});
