import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createCredentialGateway, readGatewayLog, type CredentialGateway } from '../../../src-main/services/gateway';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { bareEnv, run, scratch, startTestProxy, type RunResult, type TestProxy } from './helpers';

/**
 * The gateway in front of the real GitLab stand-in, driven by real git and curl that hold no
 * credentials: everything they achieve on GitLab, they achieve through the gateway.
 */

type StandIn = Awaited<ReturnType<typeof startGitLabStandIn>>;

let gitlab: StandIn;
let gateway: CredentialGateway;
let proxy: TestProxy;
let work: Awaited<ReturnType<typeof scratch>>;
let token: string;
let botId: number;
let otherToken: string;
const appLog = memorySink();
/** Everything the sandbox side saw (stdout, stderr, response bodies): the token must be in none. */
const seen: string[] = [];

async function git(args: string[], cwd?: string): Promise<RunResult> {
  const r = await run('git', ['-c', `http.proxy=${proxy.url}`, ...args], {
    cwd: cwd ?? work.dir,
    env: bareEnv(work.dir),
  });
  seen.push(r.stdout, r.stderr);
  return r;
}

async function curl(args: string[]): Promise<RunResult> {
  const r = await run('curl', ['--silent', '--show-error', '--proxy', proxy.url, ...args], { env: bareEnv(work.dir) });
  seen.push(r.stdout, r.stderr);
  return r;
}

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  const bot = gitlab.user('cospec-bot');
  token = bot.token;
  botId = bot.id;
  const other = gitlab.users.find((u) => !u.bot && u.username !== 'cospec-bot');
  if (!other) throw new Error('the stand-in has no second user to impersonate');
  otherToken = other.token;
  work = await scratch('cospec-gateway-http-');
  gateway = await createCredentialGateway({
    runId: 'run-http',
    instanceUrl: gitlab.url,
    projectPaths: ['acme/web-app'],
    getCredentials: async () => ({ token }),
    logDir: join(work.dir, 'run'),
    logger: createLogger({ sinks: [appLog] }),
  });
  proxy = await startTestProxy(gateway);
  const clone = await git(['clone', '-q', `${gitlab.url}/acme/web-app.git`, 'web-app']);
  if (clone.code !== 0) throw new Error(`clone through the gateway failed: ${clone.stderr}`);
});

afterAll(async () => {
  await gateway?.close();
  await proxy?.close();
  await gitlab?.close();
  await work?.cleanup();
});

describe('git through the credential gateway', () => {
  it('pushes a new branch for a sandbox that has no credentials, and records it', async () => {
    const repo = join(work.dir, 'web-app');
    await writeFile(join(repo, 'AGENT.md'), 'written by the agent\n');
    expect((await git(['add', 'AGENT.md'], repo)).code).toBe(0);
    expect((await git(['commit', '-q', '-m', 'agent change'], repo)).code).toBe(0);
    const head = (await git(['rev-parse', 'HEAD'], repo)).stdout.trim();

    const push = await git(['push', 'origin', 'HEAD:refs/heads/cospec/feature'], repo);
    expect(push.code, push.stderr || push.stdout).toBe(0);

    const onServer = await run('git', [
      '--git-dir',
      gitlab.repoDir('acme/web-app'),
      'rev-parse',
      'refs/heads/cospec/feature',
    ]);
    expect(onServer.stdout.trim()).toBe(head);
    expect(gateway.record().pushes).toContainEqual(
      expect.objectContaining({
        projectPath: 'acme/web-app',
        branch: 'cospec/feature',
        change: 'created',
        newSha: head,
        result: 'ok',
      }),
    );
  });

  it('needs the gateway: the same push straight to GitLab is refused for lack of credentials', async () => {
    const repo = join(work.dir, 'web-app');
    const direct = await run('git', ['push', 'origin', 'HEAD:refs/heads/cospec/direct'], {
      cwd: repo,
      env: bareEnv(work.dir),
    });
    expect(direct.code).not.toBe(0);
  });

  it('refuses a push to the default branch itself, before GitLab sees it, and records why', async () => {
    const repo = join(work.dir, 'web-app');
    const before = (await run('git', ['--git-dir', gitlab.repoDir('acme/web-app'), 'rev-parse', 'main'])).stdout;
    const push = await git(['push', 'origin', 'HEAD:refs/heads/main'], repo);
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/remote: coSPEC gateway: .*default branch/);
    expect(push.stderr).toMatch(/\[remote rejected\] HEAD -> main \(coSPEC gateway: main is the default branch/);
    expect((await run('git', ['--git-dir', gitlab.repoDir('acme/web-app'), 'rev-parse', 'main'])).stdout).toBe(before);
    const mainPush = gateway.record().pushes.find((p) => p.branch === 'main');
    expect(mainPush).toMatchObject({ change: 'updated', result: 'rejected' });
    expect(gateway.record().refusals).toContainEqual(
      expect.objectContaining({
        kind: 'push',
        target: 'refs/heads/main',
        reason: expect.stringMatching(/default branch/),
      }),
    );
  });

  it('refuses git access to a project outside the run with a 403 that says why', async () => {
    const clone = await git(['clone', '-q', `${gitlab.url}/tools/secret.git`, 'secret']);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toMatch(/403/);
    expect(clone.stderr).toMatch(/not part of this run/);
    expect(gateway.record().requests).toContainEqual(
      expect.objectContaining({ kind: 'refused', status: 403, path: '/tools/secret.git/info/refs' }),
    );
  });
});

describe('GitLab API through the credential gateway', () => {
  const api = (path: string) => `${gitlab.url}/api/v4${path}`;

  it('opens a merge request as the run account and records its iid and web_url', async () => {
    const r = await curl([
      '--fail-with-body',
      '-X',
      'POST',
      '--data-urlencode',
      'source_branch=cospec/feature',
      '--data-urlencode',
      'target_branch=main',
      '--data-urlencode',
      'title=Agent change',
      api('/projects/acme%2Fweb-app/merge_requests'),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [mr] = gateway.record().mergeRequests;
    expect(mr).toMatchObject({
      projectPath: 'acme/web-app',
      sourceBranch: 'cospec/feature',
      targetBranch: 'main',
      title: 'Agent change',
    });
    expect(mr!.webUrl).toMatch(/\/acme\/web-app\/-\/merge_requests\/\d+$/);
    const onServer = gitlab.mergeRequests('acme/web-app').find((m) => m.iid === mr!.iid);
    expect(onServer).toMatchObject({ source_branch: 'cospec/feature', author_id: botId });
  });

  it('files an issue and records it, replacing credentials the agent sent itself', async () => {
    const r = await curl([
      '--fail-with-body',
      '-H',
      `PRIVATE-TOKEN: ${otherToken}`,
      '-H',
      `Authorization: Bearer ${otherToken}`,
      '-X',
      'POST',
      '--data-urlencode',
      'title=Found while working',
      api('/projects/acme%2Fweb-app/issues?private_token=' + otherToken),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [issue] = gateway.record().issues;
    expect(issue).toMatchObject({ projectPath: 'acme/web-app', title: 'Found while working' });
    expect(issue!.webUrl).toMatch(/\/acme\/web-app\/-\/issues\/\d+$/);
    expect(gitlab.issues('acme/web-app').find((i) => i.iid === issue!.iid)).toMatchObject({ author_id: botId });
  });

  it('answers "who am I" with the run account whatever identity the agent claims', async () => {
    const r = await curl(['-H', `PRIVATE-TOKEN: ${otherToken}`, api('/user')]);
    expect(JSON.parse(r.stdout)).toMatchObject({ username: 'cospec-bot' });
  });

  it('refuses token, admin and other-project endpoints with the reason', async () => {
    const tokenMint = await curl([
      '-w',
      '\n%{http_code}',
      '-X',
      'POST',
      '-d',
      'name=x',
      api('/user/personal_access_tokens'),
    ]);
    expect(tokenMint.stdout).toMatch(/allowlist[\s\S]*\n403$/);
    const other = await curl(['-w', '\n%{http_code}', api('/projects/tools%2Fsecret')]);
    expect(other.stdout).toMatch(/not part of this run[\s\S]*\n403$/);
  });
});

describe('what the gateway keeps', () => {
  it('never lets the token reach the log, the record, the app log or the sandbox', async () => {
    const log = await readFile(gateway.logPath, 'utf8');
    expect(log.length).toBeGreaterThan(0);
    expect(log).not.toContain(token);
    expect(JSON.stringify(gateway.record())).not.toContain(token);
    expect(appLog.lines.join('\n')).not.toContain(token);
    expect(seen.join('\n')).not.toContain(token);
    // The Basic form git sees on the wire must not leak either.
    expect(log).not.toContain(Buffer.from(`oauth2:${token}`).toString('base64'));
  });

  it('can rebuild the record from gateway.log after a restart', async () => {
    const rebuilt = await readGatewayLog(gateway.logPath, 'run-http', gitlab.url, ['acme/web-app']);
    expect(rebuilt).toEqual(gateway.record());
  });
});
