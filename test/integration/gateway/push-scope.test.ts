import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createCredentialGateway, type CredentialGateway, type PushScope } from '../../../src-main/services/gateway';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { bareEnv, run, scratch, startTestProxy, type RunResult, type TestProxy } from './helpers';

/**
 * Attacks on the push scope with real git through the real gateway in front of the GitLab
 * stand-in (real `git http-backend`, GitLab's protected-branch hook): every refused push must leave
 * GitLab exactly as it was, and git's own output must tell the agent why.
 */

type StandIn = Awaited<ReturnType<typeof startGitLabStandIn>>;
const PROJECT = 'acme/web-app';

let gitlab: StandIn;
let work: Awaited<ReturnType<typeof scratch>>;
const open: Array<{ gateway: CredentialGateway; proxy: TestProxy }> = [];

interface Run {
  gateway: CredentialGateway;
  git(args: string[]): Promise<RunResult>;
  repo: string;
}

let n = 0;
/** A "run": its own gateway (scope), proxy and clone of web-app. */
async function startRun(scope?: Partial<PushScope>, runId = `run-${++n}`): Promise<Run> {
  const gateway = await createCredentialGateway({
    runId,
    instanceUrl: gitlab.url,
    projectPaths: [PROJECT, 'acme/api-service'],
    getCredentials: async () => ({ token: gitlab.user('cospec-bot').token }),
    logDir: join(work.dir, runId),
    logger: createLogger({ sinks: [memorySink()] }),
    pushScope: { prefix: 'cospec/', inheritedBranches: [], ciSkip: false, ...scope },
  });
  const proxy = await startTestProxy(gateway);
  open.push({ gateway, proxy });
  const git = (args: string[], cwd = join(work.dir, `${runId}-clone`)) =>
    run('git', ['-c', `http.proxy=${proxy.url}`, ...args], { cwd, env: bareEnv(work.dir) });
  const clone = await git(['clone', '-q', `${gitlab.url}/${PROJECT}.git`, `${runId}-clone`], work.dir);
  if (clone.code !== 0) throw new Error(`clone failed: ${clone.stderr}`);
  return { gateway, git: (args) => git(args), repo: join(work.dir, `${runId}-clone`) };
}

async function commit(r: Run, file: string): Promise<string> {
  await writeFile(join(r.repo, file), `${file} ${Math.random()}\n`);
  await r.git(['add', file]);
  const c = await r.git(['commit', '-q', '-m', `change ${file}`]);
  if (c.code !== 0) throw new Error(c.stderr);
  return (await r.git(['rev-parse', 'HEAD'])).stdout.trim();
}

/** Everything on the server that a push could change: every ref, MRs, push events. */
async function serverState(project = PROJECT): Promise<string> {
  const refs = await run('git', [
    '--git-dir',
    gitlab.repoDir(project),
    'for-each-ref',
    '--format=%(refname) %(objectname)',
  ]);
  return JSON.stringify({
    refs: refs.stdout,
    mrs: gitlab.mergeRequests(project).length,
    pushes: gitlab.pushEvents(project).length,
  });
}

async function expectRefused(r: Run, args: string[], reason: RegExp, project = PROJECT): Promise<RunResult> {
  const before = await serverState(project);
  const push = await r.git(args);
  expect(push.code, push.stderr || push.stdout).not.toBe(0);
  expect(push.stderr).toMatch(/remote: coSPEC gateway: this push was refused/);
  expect(push.stderr).toMatch(/\[remote rejected\]/);
  expect(push.stderr).toMatch(reason);
  expect(await serverState(project)).toBe(before);
  return push;
}

const onServer = async (ref: string) =>
  (await run('git', ['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', '--verify', '--quiet', ref])).stdout.trim();

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  work = await scratch('cospec-push-scope-');
});

afterAll(async () => {
  for (const o of open) {
    await o.gateway.close();
    await o.proxy.close();
  }
  await gitlab?.close();
  await work?.cleanup();
});

describe('what an agent may push', () => {
  it('creates, updates, force-pushes and deletes a branch of its own under the prefix', async () => {
    const r = await startRun();
    const first = await commit(r, 'one.md');
    expect((await r.git(['push', 'origin', 'HEAD:refs/heads/cospec/own'])).code).toBe(0);
    expect(await onServer('refs/heads/cospec/own')).toBe(first);
    const second = await commit(r, 'two.md');
    expect((await r.git(['push', 'origin', 'HEAD:refs/heads/cospec/own'])).code).toBe(0);
    expect(await onServer('refs/heads/cospec/own')).toBe(second);
    await r.git(['reset', '-q', '--hard', 'HEAD~2']);
    const rewritten = await commit(r, 'three.md');
    const force = await r.git(['push', '--force', 'origin', 'HEAD:refs/heads/cospec/own']);
    expect(force.code, force.stderr || force.stdout).toBe(0);
    expect(await onServer('refs/heads/cospec/own')).toBe(rewritten);
    const del = await r.git(['push', 'origin', ':refs/heads/cospec/own']);
    expect(del.code, del.stderr || del.stdout).toBe(0);
    expect(await onServer('refs/heads/cospec/own')).toBe('');
    expect(r.gateway.record().refusals).toEqual([]);
  });

  it('refuses the default branch, and says so in git’s output', async () => {
    const r = await startRun();
    await commit(r, 'main.md');
    await expectRefused(r, ['push', 'origin', 'HEAD:refs/heads/main'], /main is the default branch/);
    await expectRefused(r, ['push', '--force', 'origin', 'HEAD:main'], /default branch/);
    await expectRefused(r, ['push', 'origin', ':refs/heads/main'], /default branch/);
    expect(r.gateway.record().refusals).toContainEqual(
      expect.objectContaining({ kind: 'push', target: 'refs/heads/main' }),
    );
  });

  it('refuses protected branches, wildcard rules included, even under the prefix', async () => {
    const r = await startRun();
    await commit(r, 'protected.md');
    // acme/api-service protects release/*; a maintainer protects cospec/locked-* on web-app.
    const api = await run('curl', [
      '-sf',
      '-X',
      'POST',
      '-H',
      `PRIVATE-TOKEN: ${gitlab.user('alice').token}`,
      `${gitlab.url}/api/v4/projects/${encodeURIComponent(PROJECT)}/protected_branches?name=${encodeURIComponent('cospec/locked-*')}`,
    ]);
    expect(api.code, api.stderr || api.stdout).toBe(0);
    await expectRefused(
      r,
      ['push', 'origin', 'HEAD:refs/heads/cospec/locked-x'],
      /protected branch \(cospec\/locked-\*\)/,
    );
    const api2 = await r.git(['push', `${gitlab.url}/acme/api-service.git`, 'HEAD:refs/heads/release/9.9']);
    expect(api2.code).not.toBe(0);
    expect(api2.stderr).toMatch(/release\/9\.9 is a protected branch \(release\/\*\)/);
  });

  it('refuses tags and every ref that is not a branch', async () => {
    const r = await startRun();
    await commit(r, 'tag.md');
    await r.git(['tag', 'v9.9.9']);
    await expectRefused(r, ['push', 'origin', 'refs/tags/v9.9.9'], /tags cannot be pushed/);
    await expectRefused(r, ['push', 'origin', 'HEAD:refs/merge-requests/1/head'], /only branches can be pushed/);
    await expectRefused(r, ['push', 'origin', 'HEAD:refs/notes/commits'], /only branches can be pushed/);
  });

  it('refuses branches outside the prefix', async () => {
    const r = await startRun();
    await commit(r, 'outside.md');
    await expectRefused(r, ['push', 'origin', 'HEAD:refs/heads/feature/agent'], /outside this run's branches/);
    await expectRefused(r, ['push', 'origin', 'HEAD:refs/heads/cospec'], /outside this run's branches/);
    await expectRefused(r, ['push', 'origin', 'HEAD:refs/heads/COSPEC/x'], /outside this run's branches/);
    await expectRefused(r, ['push', '--force', 'origin', 'HEAD:feature/login'], /outside this run's branches/);
    await expectRefused(r, ['push', 'origin', ':feature/login'], /outside this run's branches/);
  });

  it('refuses to force-push, update or delete a branch under the prefix that the run did not create', async () => {
    const other = await startRun();
    await commit(other, 'other.md');
    expect((await other.git(['push', 'origin', 'HEAD:refs/heads/cospec/someone-else'])).code).toBe(0);
    const r = await startRun();
    await r.git(['fetch', '-q', 'origin']);
    await commit(r, 'mine.md');
    await expectRefused(
      r,
      ['push', '--force', 'origin', 'HEAD:refs/heads/cospec/someone-else'],
      /not created by this run/,
    );
    await expectRefused(
      r,
      ['push', 'origin', ':refs/heads/cospec/someone-else'],
      /not created by this run, so it cannot delete it/,
    );
    await r.git(['reset', '-q', '--hard', 'origin/cospec/someone-else']);
    await commit(r, 'ff.md');
    await expectRefused(r, ['push', 'origin', 'HEAD:refs/heads/cospec/someone-else'], /not created by this run/);
  });

  it('refuses a whole push when one of its refs is refused', async () => {
    const r = await startRun();
    await commit(r, 'mixed.md');
    const push = await expectRefused(
      r,
      ['push', 'origin', 'HEAD:refs/heads/cospec/fine', 'HEAD:refs/heads/main'],
      /another ref of this push was refused/,
    );
    expect(push.stderr).toMatch(/main is the default branch/);
    expect(await onServer('refs/heads/cospec/fine')).toBe('');
  });
});

describe('branches made through the API', () => {
  /** POST repository/branches through the run's proxy, as an agent's curl would. */
  const createBranch = (r: Run, proxyUrl: string, branch: string) =>
    run(
      'curl',
      [
        '-s',
        '-o',
        '-',
        '-w',
        '\n%{http_code}',
        '-x',
        proxyUrl,
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '--data',
        JSON.stringify({ branch, ref: 'main' }),
        `${gitlab.url}/api/v4/projects/${encodeURIComponent(PROJECT)}/repository/branches`,
      ],
      { env: bareEnv(work.dir) },
    );

  it('follow the push rules: outside the prefix or on a protected name is refused, nothing is created', async () => {
    const r = await startRun();
    const proxy = open.find((o) => o.gateway === r.gateway)!.proxy;
    for (const branch of ['release-1', 'main', 'cospec']) {
      const before = await serverState();
      const out = await createBranch(r, proxy.url, branch);
      expect(out.stdout.trim().split('\n').pop(), out.stdout).toBe('403');
      expect(out.stdout).toMatch(/coSPEC gateway/);
      expect(await serverState()).toBe(before);
      if (branch !== 'main') expect(await onServer(`refs/heads/${branch}`)).toBe('');
    }
    expect(
      r.gateway
        .record()
        .refusals.filter((f) => f.kind === 'api')
        .map((f) => f.target),
    ).toEqual([
      'POST repository/branches release-1',
      'POST repository/branches main',
      'POST repository/branches cospec',
    ]);
  });

  it('under the prefix is created, and is then the run’s own branch to push to', async () => {
    const r = await startRun();
    const proxy = open.find((o) => o.gateway === r.gateway)!.proxy;
    const out = await createBranch(r, proxy.url, 'cospec/made-by-api');
    expect(out.stdout.trim().split('\n').pop(), out.stdout).toBe('201');
    expect(await onServer('refs/heads/cospec/made-by-api')).not.toBe('');
    await r.git(['fetch', '-q', 'origin', 'cospec/made-by-api']);
    await r.git(['checkout', '-q', '-b', 'cospec/made-by-api', 'FETCH_HEAD']);
    const sha = await commit(r, 'api-branch.txt');
    const push = await r.git(['push', '-q', 'origin', 'cospec/made-by-api']);
    expect(push.code, push.stderr || push.stdout).toBe(0);
    expect(await onServer('refs/heads/cospec/made-by-api')).toBe(sha);
  });
});

describe('push options', () => {
  it('refuses merge_request.create with merge_when_pipeline_succeeds: no merge request, no branch', async () => {
    const r = await startRun();
    await commit(r, 'mr.md');
    await expectRefused(
      r,
      [
        'push',
        '-o',
        'merge_request.create',
        '-o',
        'merge_request.target=main',
        '-o',
        'merge_request.merge_when_pipeline_succeeds',
        'origin',
        'HEAD:refs/heads/cospec/auto-merge',
      ],
      /push option merge_request.create is not allowed/,
    );
    expect(gitlab.mergeRequests(PROJECT).filter((m) => m.source_branch === 'cospec/auto-merge')).toEqual([]);
    expect(r.gateway.record().refusals).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'push_option', target: 'merge_request.create' }),
        expect.objectContaining({ kind: 'push_option', target: 'merge_request.merge_when_pipeline_succeeds' }),
        expect.objectContaining({ kind: 'push_option', target: 'merge_request.target' }),
      ]),
    );
  });

  it('refuses ci.variable (and any option off the allowlist), also spelled with the mr alias', async () => {
    const r = await startRun();
    await commit(r, 'vars.md');
    await expectRefused(
      r,
      ['push', '-o', 'ci.variable=DEPLOY=1', 'origin', 'HEAD:refs/heads/cospec/vars'],
      /ci.variable is not allowed/,
    );
    await expectRefused(
      r,
      ['push', '-o', 'mr.create', 'origin', 'HEAD:refs/heads/cospec/vars'],
      /mr.create is not allowed/,
    );
    await expectRefused(
      r,
      ['push', '-o', 'integrations.skip_ci', 'origin', 'HEAD:refs/heads/cospec/vars'],
      /not allowed/,
    );
    expect(gitlab.pushEvents(PROJECT).some((e) => Object.keys(e.ciVariables).length > 0)).toBe(false);
  });

  it('lets the agent’s own ci.skip through', async () => {
    const r = await startRun();
    await commit(r, 'skip.md');
    const push = await r.git(['push', '-o', 'ci.skip', 'origin', 'HEAD:refs/heads/cospec/skip']);
    expect(push.code, push.stderr || push.stdout).toBe(0);
    expect(gitlab.pushEvents(PROJECT).at(-1)).toMatchObject({ ciSkip: true, options: ['ci.skip'] });
  });

  it('adds ci.skip to every push when the scope says so (no pipeline runs agent code)', async () => {
    const r = await startRun({ ciSkip: true });
    const sha = await commit(r, 'ci.md');
    const push = await r.git(['push', 'origin', 'HEAD:refs/heads/cospec/no-ci']);
    expect(push.code, push.stderr || push.stdout).toBe(0);
    expect(await onServer('refs/heads/cospec/no-ci')).toBe(sha);
    const event = gitlab.pushEvents(PROJECT).at(-1);
    expect(event).toMatchObject({ ciSkip: true, options: ['ci.skip'] });
    expect(event?.refs).toEqual([expect.objectContaining({ ref: 'refs/heads/cospec/no-ci', after: sha })]);
    // Without the scope flag the same push starts a pipeline (no ci.skip reaches GitLab).
    const plain = await startRun();
    await commit(plain, 'ci2.md');
    expect((await plain.git(['push', 'origin', 'HEAD:refs/heads/cospec/with-ci'])).code).toBe(0);
    expect(gitlab.pushEvents(PROJECT).at(-1)).toMatchObject({ ciSkip: false, options: [] });
  });
});

describe('a follow-up run', () => {
  it('fast-forwards the branch of the run it continues, but may not rewrite or delete it', async () => {
    const parent = await startRun();
    const base = await commit(parent, 'parent.md');
    expect((await parent.git(['push', 'origin', 'HEAD:refs/heads/cospec/work'])).code).toBe(0);

    const child = await startRun({ inheritedBranches: ['cospec/work'] });
    await child.git(['fetch', '-q', 'origin']);
    await child.git(['checkout', '-q', '-b', 'work', 'origin/cospec/work']);
    await commit(child, 'child-1.md');
    const tip = await commit(child, 'child-2.md');
    const ff = await child.git(['push', 'origin', 'HEAD:refs/heads/cospec/work']);
    expect(ff.code, ff.stderr || ff.stdout).toBe(0);
    expect(await onServer('refs/heads/cospec/work')).toBe(tip);

    // A merge from main is still a fast-forward of the branch.
    await child.git(['merge', '-q', '--no-ff', '-m', 'merge main', 'origin/main']);
    const merged = (await child.git(['rev-parse', 'HEAD'])).stdout.trim();
    expect((await child.git(['push', 'origin', 'HEAD:refs/heads/cospec/work'])).code).toBe(0);
    expect(await onServer('refs/heads/cospec/work')).toBe(merged);

    await child.git(['reset', '-q', '--hard', base]);
    await commit(child, 'rewrite.md');
    await expectRefused(
      child,
      ['push', '--force', 'origin', 'HEAD:refs/heads/cospec/work'],
      /only a fast-forward is allowed/,
    );
    // Forcing it back to an older commit the server already has (no new objects) is not a fast-forward either.
    await expectRefused(child, ['push', '--force', 'origin', `${base}:refs/heads/cospec/work`], /only a fast-forward/);
    await expectRefused(child, ['push', 'origin', ':refs/heads/cospec/work'], /fast-forwarded, not deleted/);
    expect(child.gateway.record().refusals.map((f) => f.target)).toContain('refs/heads/cospec/work');
  });
});
