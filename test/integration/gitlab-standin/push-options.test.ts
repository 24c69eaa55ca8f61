import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePushOptions } from '../../../tools/gitlab-standin/git/push-options';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { bareEnv, run, scratch } from '../gateway/helpers';

/**
 * Push options on the stand-in as GitLab acts on them (doc "Push options",
 * MergeRequests::PushOptionsHandlerService): real `git push -o …` straight to the stand-in.
 */

let gitlab: StandIn;
let work: Awaited<ReturnType<typeof scratch>>;
let repo: string;
const PROJECT = 'acme/unprotected-lib';

const git = (args: string[], cwd = repo) => run('git', args, { cwd, env: bareEnv(work.dir) });

async function branchWithCommit(name: string, subject = `work on ${name}`): Promise<string> {
  await git(['checkout', '-q', '-B', name, 'origin/main']);
  await writeFile(join(repo, `${name.replace(/\W/g, '_')}.md`), `${name}\n`);
  await git(['add', '-A']);
  await git(['commit', '-q', '-m', subject]);
  return (await git(['rev-parse', 'HEAD'])).stdout.trim();
}

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  work = await scratch('standin-push-options-');
  const url = new URL(`${gitlab.url}/${PROJECT}.git`);
  url.username = 'cospec-bot';
  url.password = gitlab.user('cospec-bot').token;
  const clone = await git(['clone', '-q', url.toString(), 'lib'], work.dir);
  if (clone.code !== 0) throw new Error(clone.stderr);
  repo = join(work.dir, 'lib');
});

afterAll(async () => {
  await gitlab?.close();
  await work?.cleanup();
});

describe('push options on the stand-in', () => {
  it('advertises push-options on receive-pack', async () => {
    const res = await fetch(`${gitlab.url}/${PROJECT}.git/info/refs?service=git-receive-pack`, {
      headers: {
        authorization: `Basic ${Buffer.from(`cospec-bot:${gitlab.user('cospec-bot').token}`).toString('base64')}`,
      },
    });
    expect(await res.text()).toMatch(/push-options/);
  });

  it('creates a merge request with target, title, description, labels and auto-merge, assigned to the pusher', async () => {
    await branchWithCommit('mr/options');
    const push = await git([
      'push',
      '-o',
      'merge_request.create',
      '-o',
      'merge_request.target=main',
      '-o',
      'merge_request.title=From push options',
      '-o',
      'merge_request.description=Line one\\nLine two',
      '-o',
      'merge_request.label=agent',
      '-o',
      'merge_request.label=needs review',
      '-o',
      'merge_request.merge_when_pipeline_succeeds',
      'origin',
      'mr/options',
    ]);
    expect(push.code, push.stderr || push.stdout).toBe(0);
    const bot = gitlab.user('cospec-bot');
    const mr = gitlab.mergeRequests(PROJECT).find((m) => m.source_branch === 'mr/options');
    expect(mr).toMatchObject({
      title: 'From push options',
      description: 'Line one\nLine two',
      target_branch: 'main',
      labels: ['agent', 'needs review'],
      author_id: bot.id,
      assignee_ids: [bot.id],
      merge_when_pipeline_succeeds: true,
      merge_user_id: bot.id,
      state: 'opened',
    });
    // Seen through the API like any other merge request.
    const res = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent(PROJECT)}/merge_requests/${mr!.iid}`, {
      headers: { 'private-token': bot.token },
    });
    expect(await res.json()).toMatchObject({ merge_when_pipeline_succeeds: true, merge_user: { id: bot.id } });
  });

  it('takes a single commit’s subject as the default title, and updates the open MR on the next push', async () => {
    await branchWithCommit('mr/default-title', 'Fix the widget');
    expect((await git(['push', '-o', 'merge_request.create', 'origin', 'mr/default-title'])).code).toBe(0);
    const mr = gitlab.mergeRequests(PROJECT).find((m) => m.source_branch === 'mr/default-title');
    expect(mr).toMatchObject({ title: 'Fix the widget', target_branch: 'main' });
    expect(mr?.merge_when_pipeline_succeeds).toBeFalsy();
    await writeFile(join(repo, 'more.md'), 'more\n');
    await git(['add', '-A']);
    await git(['commit', '-q', '-m', 'more']);
    expect((await git(['push', '-o', 'merge_request.title=Renamed', 'origin', 'mr/default-title'])).code).toBe(0);
    const mrs = gitlab.mergeRequests(PROJECT).filter((m) => m.source_branch === 'mr/default-title');
    expect(mrs).toHaveLength(1);
    expect(mrs[0]).toMatchObject({ title: 'Renamed' });
  });

  it('needs merge_request.create to open one, skips the default branch and an unknown target', async () => {
    const before = gitlab.mergeRequests(PROJECT).length;
    await branchWithCommit('mr/no-create');
    expect((await git(['push', '-o', 'merge_request.title=x', 'origin', 'mr/no-create'])).code).toBe(0);
    await branchWithCommit('mr/bad-target');
    expect(
      (await git(['push', '-o', 'merge_request.create', '-o', 'merge_request.target=nope', 'origin', 'mr/bad-target']))
        .code,
    ).toBe(0);
    expect(gitlab.mergeRequests(PROJECT)).toHaveLength(before);
    expect(gitlab.pushEvents(PROJECT).at(-1)?.errors).toEqual([`Target branch ${PROJECT}:nope does not exist`]);
    expect(gitlab.pushEvents(PROJECT).at(-2)?.errors).toEqual([
      'A merge_request.create push option is required to create a merge request for branch mr/no-create',
    ]);
  });

  it('remembers ci.skip and ci.variable for the push’s pipeline', async () => {
    const sha = await branchWithCommit('ci/vars');
    const push = await git(['push', '-o', 'ci.variable=DEPLOY=prod', '-o', 'ci.variable=MAX=10', 'origin', 'ci/vars']);
    expect(push.code, push.stderr || push.stdout).toBe(0);
    expect(gitlab.pushEvents(PROJECT).at(-1)).toMatchObject({
      ciSkip: false,
      ciVariables: { DEPLOY: 'prod', MAX: '10' },
      refs: [{ ref: 'refs/heads/ci/vars', after: sha }],
    });
    await branchWithCommit('ci/skip');
    expect((await git(['push', '-o', 'ci.skip', 'origin', 'ci/skip'])).code).toBe(0);
    expect(gitlab.pushEvents(PROJECT).at(-1)).toMatchObject({ ciSkip: true, ciVariables: {} });
  });

  it('parses options as GitLab does: namespaces, the mr alias, multi-value keys, unknown ones ignored', () => {
    expect(
      parsePushOptions([
        'mr.create',
        'merge_request.label=a',
        'mr.label=b',
        'ci.variable=X=1=2',
        'nope.thing',
        'ci.unknown',
      ]),
    ).toEqual({ merge_request: { create: true, label: { a: true, b: true } }, ci: { variable: { 'X=1=2': true } } });
  });
});
