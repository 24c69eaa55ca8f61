import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { agentGitLabEnv, createCredentialGateway, type CredentialGateway } from '../../../src-main/services/gateway';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { bareEnv, run, scratch, startTestProxy, type TestProxy } from './helpers';

/**
 * The sample agent (resources/agents/sample-agent.sh) run on the host with only sh, git and curl,
 * against the stand-in through the gateway, exactly as it runs in a container: no token anywhere
 * in its environment, the proxy as its only way to GitLab.
 */

const AGENT = fileURLToPath(new URL('../../../resources/agents/sample-agent.sh', import.meta.url));

let gitlab: Awaited<ReturnType<typeof startGitLabStandIn>>;
let gateway: CredentialGateway;
let proxy: TestProxy;
let work: Awaited<ReturnType<typeof scratch>>;

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  const { token } = gitlab.user('cospec-bot');
  work = await scratch('cospec-sample-agent-');
  gateway = await createCredentialGateway({
    runId: 'run-sample',
    instanceUrl: gitlab.url,
    projectPaths: ['acme/web-app'],
    getCredentials: async () => ({ token }),
    logDir: join(work.dir, 'run'),
    logger: createLogger({ sinks: [memorySink()] }),
  });
  proxy = await startTestProxy(gateway);
});

afterAll(async () => {
  await gateway?.close();
  await proxy?.close();
  await gitlab?.close();
  await work?.cleanup();
});

describe('sample agent', () => {
  it('pushes exactly one branch, opens one MR and files one issue, holding no token', async () => {
    const workspace = join(work.dir, 'workspace');
    const env = bareEnv(work.dir, { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url });
    const clone = await run(
      'git',
      ['-c', `http.proxy=${proxy.url}`, 'clone', '-q', `${gitlab.url}/acme/web-app.git`, workspace],
      { env },
    );
    expect(clone.code, clone.stderr || clone.stdout).toBe(0);
    const taskFile = join(work.dir, 'task.md');
    await writeFile(taskFile, 'Add a sample note to the repository\n\nKeep it short.\n');

    const agentEnv = {
      ...env,
      ...agentGitLabEnv({ instanceUrl: gitlab.url, projectPath: 'acme/web-app', taskFile, runId: 'run-sample' }),
      COSPEC_WORKSPACE: workspace,
    };
    const result = await run('sh', [AGENT], { env: agentEnv, timeoutMs: 60_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/done: branch cospec\/sample-run-sample, merge request !\d+, issue #\d+/);

    const record = gateway.record();
    expect(record.pushes).toEqual([
      expect.objectContaining({
        projectPath: 'acme/web-app',
        branch: 'cospec/sample-run-sample',
        change: 'created',
        result: 'ok',
      }),
    ]);
    expect(record.mergeRequests).toEqual([
      expect.objectContaining({
        sourceBranch: 'cospec/sample-run-sample',
        targetBranch: 'main',
        title: 'Add a sample note to the repository',
      }),
    ]);
    expect(record.issues).toEqual([
      expect.objectContaining({ title: 'Follow-up: Add a sample note to the repository' }),
    ]);
    expect(result.stdout).toContain(record.mergeRequests[0]!.webUrl);
    expect(
      gitlab.mergeRequests('acme/web-app').filter((m) => m.source_branch === 'cospec/sample-run-sample'),
    ).toHaveLength(1);
  });
});
