import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { LONG_PATH_GROUPS, LONG_PROJECT } from '../../../tools/gitlab-standin/seed-shapes';

/*
 * The seed has what real instances have (tools/gitlab-standin/seed-shapes.ts), shaped as GitLab's
 * API documents it (doc/api/projects.md, doc/api/namespaces.md): nested subgroups whose members
 * inherit, a user's personal namespace, an empty repository, long paths, global ids far from iids.
 */
let gitlab: StandIn;
let root: string;
const exec = promisify(execFile);
const as = (username: string) => new Gitlab({ host: gitlab.url, token: gitlab.user(username).token });
const status = (error: unknown) => (error as { cause?: { response?: { status?: number } } }).cause?.response?.status;
const LONG = `acme/${LONG_PATH_GROUPS.join('/')}/${LONG_PROJECT}`;

async function git(dir: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  const token = gitlab.user('cospec-bot').token;
  const auth = `Authorization: Basic ${Buffer.from(`cospec-bot:${token}`).toString('base64')}`;
  return exec('git', ['-C', dir, '-c', `http.extraHeader=${auth}`, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
  });
}

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  root = mkdtempSync(join(tmpdir(), 'standin-seeds-'));
});
afterAll(async () => {
  await gitlab?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('subgroups and long paths', () => {
  it('a project two subgroups deep: namespace with its full path and parent, members inherited from acme', async () => {
    const project = await as('cospec-bot').Projects.show('acme/platform/infra/deploy-tools');
    expect(project).toMatchObject({
      path_with_namespace: 'acme/platform/infra/deploy-tools',
      name_with_namespace: 'Acme / Platform / Infrastructure / Deploy Tools',
      web_url: `${gitlab.url}/acme/platform/infra/deploy-tools`,
      http_url_to_repo: `${gitlab.url}/acme/platform/infra/deploy-tools.git`,
      namespace: {
        kind: 'group',
        path: 'infra',
        full_path: 'acme/platform/infra',
        parent_id: expect.any(Number),
        web_url: `${gitlab.url}/groups/acme/platform/infra`,
      },
      // The bot is a Developer of acme, so of every subgroup below it.
      permissions: { project_access: null, group_access: { access_level: 30 } },
    });
    // A member of the subgroup only (maya is a Maintainer of infra) outranks her acme level there.
    expect(
      (await as('maya').Projects.show('acme/platform/infra/deploy-tools')).permissions.group_access?.access_level,
    ).toBe(40);
    const members = await as('cospec-bot').ProjectMembers.all('acme/platform/infra/deploy-tools', {
      includeInherited: true,
    });
    expect(members.find((m) => m.username === 'cospec-bot')?.access_level).toBe(30);
  });

  it('a long path five namespaces deep works through the API (URL-encoded) and git', async () => {
    expect(LONG.length).toBeGreaterThan(120);
    const project = await as('cospec-bot').Projects.show(LONG);
    expect(project).toMatchObject({
      path_with_namespace: LONG,
      namespace: { full_path: LONG.replace(/\/[^/]+$/, '') },
    });
    const dir = join(root, 'long');
    await git(root, 'clone', '-q', `${gitlab.url}/${LONG}.git`, dir);
    expect(readdirSync(dir).sort()).toEqual(['.git', 'README.md', 'values.yaml']);
  });
});

describe('a user’s namespace', () => {
  it('maya/scratchpad: kind user, listed for the bot it was shared with, hidden from others', async () => {
    const bot = as('cospec-bot');
    const project = await bot.Projects.show('maya/scratchpad');
    expect(project).toMatchObject({
      namespace: { kind: 'user', path: 'maya', full_path: 'maya', parent_id: null, web_url: `${gitlab.url}/maya` },
      permissions: { project_access: { access_level: 30 }, group_access: null },
    });
    const mine = await bot.Projects.all({ membership: true, minAccessLevel: 30, search: 'scratchpad' });
    expect(mine.map((p) => p.path_with_namespace)).toEqual(['maya/scratchpad']);
    await expect(as('rita').Projects.show('maya/scratchpad')).rejects.toSatisfy((e) => status(e) === 404);
  });
});

describe('an empty repository', () => {
  it('default_branch null, empty_repo true, no branches; git clones it empty', async () => {
    const bot = as('cospec-bot');
    expect(await bot.Projects.show('acme/empty-repo')).toMatchObject({ default_branch: null, empty_repo: true });
    expect(await bot.Branches.all('acme/empty-repo')).toEqual([]);
    const { stderr } = await git(root, 'clone', `${gitlab.url}/acme/empty-repo.git`, join(root, 'empty'));
    expect(stderr).toMatch(/empty repository/);
    // The first push gives it a default branch, as GitLab does.
    const dir = join(root, 'empty');
    await exec('git', ['-C', dir, 'commit', '-q', '--allow-empty', '-m', 'First'], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'a',
        GIT_AUTHOR_EMAIL: 'a@x',
        GIT_COMMITTER_NAME: 'a',
        GIT_COMMITTER_EMAIL: 'a@x',
      },
    });
    await git(dir, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
    expect(await bot.Projects.show('acme/empty-repo')).toMatchObject({ default_branch: 'main', empty_repo: false });
  });
});

describe('global ids and iids', () => {
  it('issues and MRs have ids far from their iids; an id where the iid belongs finds nothing', async () => {
    const bot = as('cospec-bot');
    const seeded = await bot.Issues.all({ projectId: 'acme/platform/infra/deploy-tools' });
    expect(seeded.map((i) => i.iid).sort()).toEqual([1, 2]);
    for (const i of seeded) expect(i.id).toBeGreaterThan(12_000);
    const [open] = await bot.MergeRequests.all({ projectId: 'acme/platform/infra/deploy-tools', state: 'opened' });
    expect(open).toMatchObject({ iid: 1, source_branch: 'feature/canary', detailed_merge_status: 'mergeable' });
    expect(open!.id).toBeGreaterThan(4_800);

    const issue = await bot.Issues.create('acme/web-app', 'First here');
    expect(issue.iid).toBe(1);
    expect(issue.id).not.toBe(issue.iid);
    const mr = await bot.MergeRequests.create('acme/web-app', 'feature/login', 'main', 'First MR here');
    expect([mr.iid, mr.id > 4_800]).toEqual([1, true]);
    await expect(bot.MergeRequests.show('acme/web-app', mr.id)).rejects.toSatisfy((e) => status(e) === 404);
    // The global lists give both, as GitLab's do.
    const global = await bot.MergeRequests.all({ scope: 'created_by_me' });
    expect(global.find((m) => m.id === mr.id)).toMatchObject({ iid: 1, project_id: mr.project_id });
  });
});
