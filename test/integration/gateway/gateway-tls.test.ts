import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createCredentialGateway, type CredentialGateway } from '../../../src-main/services/gateway';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { bareEnv, run, scratch, startTestProxy, type TestProxy } from './helpers';

/**
 * An https:// instance: the proxy hands the CONNECT to the gateway, which terminates TLS with the
 * run CA and forwards over a fresh, verified TLS connection (the stand-in's own CA is the
 * "account's CA setting", passed as the account's undici dispatcher).
 */

let gitlab: Awaited<ReturnType<typeof startGitLabStandIn>>;
let gateway: CredentialGateway;
let proxy: TestProxy;
let work: Awaited<ReturnType<typeof scratch>>;
let token: string;
let runCaFile: string;
let gitlabCaFile: string;
const accountDispatcher = () => new Agent({ connect: { ca: gitlab.caPem } });

beforeAll(async () => {
  gitlab = await startGitLabStandIn({ tls: true });
  if (!gitlab.caPem) throw new Error('the TLS stand-in returned no CA');
  token = gitlab.user('cospec-bot').token;
  work = await scratch('cospec-gateway-tls-');
  gateway = await createCredentialGateway({
    runId: 'run-tls',
    instanceUrl: gitlab.url,
    projectPaths: ['acme/web-app'],
    getCredentials: async () => ({ token }),
    dispatcher: accountDispatcher(),
    logDir: join(work.dir, 'run'),
    logger: createLogger({ sinks: [memorySink()] }),
  });
  proxy = await startTestProxy(gateway);
  runCaFile = join(work.dir, 'run-ca.pem');
  gitlabCaFile = join(work.dir, 'gitlab-ca.pem');
  await writeFile(runCaFile, gateway.caCertPem ?? '');
  await writeFile(gitlabCaFile, gitlab.caPem);
});

afterAll(async () => {
  await gateway?.close();
  await proxy?.close();
  await gitlab?.close();
  await work?.cleanup();
});

const gitVia = (proxyUrl: string, caFile: string, args: string[], cwd?: string) =>
  run('git', ['-c', `http.proxy=${proxyUrl}`, ...args], {
    cwd: cwd ?? work.dir,
    env: bareEnv(work.dir, { GIT_SSL_CAINFO: caFile }),
  });

describe('https instance through the gateway', () => {
  it('gives a run CA certificate and never its key', () => {
    expect(gateway.caCertPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(gateway.caCertPem).not.toMatch(/PRIVATE KEY/);
  });

  it('clones and pushes over TLS when the sandbox trusts the run CA', async () => {
    const clone = await gitVia(proxy.url, runCaFile, ['clone', '-q', `${gitlab.url}/acme/web-app.git`, 'tls-clone']);
    expect(clone.code, clone.stderr || clone.stdout).toBe(0);
    const repo = join(work.dir, 'tls-clone');
    await writeFile(join(repo, 'TLS.md'), 'over tls\n');
    await run('git', ['add', 'TLS.md'], { cwd: repo, env: bareEnv(work.dir) });
    await run('git', ['commit', '-q', '-m', 'tls change'], { cwd: repo, env: bareEnv(work.dir) });
    const push = await gitVia(proxy.url, runCaFile, ['push', 'origin', 'HEAD:refs/heads/cospec/tls'], repo);
    expect(push.code, push.stderr || push.stdout).toBe(0);
    expect(gateway.record().pushes).toContainEqual(expect.objectContaining({ branch: 'cospec/tls', result: 'ok' }));
  });

  it("fails when the sandbox does not trust the run CA (even trusting GitLab's own CA)", async () => {
    const clone = await gitVia(proxy.url, gitlabCaFile, ['clone', '-q', `${gitlab.url}/acme/web-app.git`, 'untrusted']);
    expect(clone.code).not.toBe(0);
    expect(clone.stderr).toMatch(/SSL|certificate/i);
  });

  it('verifies the real instance: without the account CA the upstream connection is refused', async () => {
    const strict = await createCredentialGateway({
      runId: 'run-tls-strict',
      instanceUrl: gitlab.url,
      projectPaths: ['acme/web-app'],
      getCredentials: async () => ({ token }),
      logDir: join(work.dir, 'run-strict'),
      logger: createLogger({ sinks: [memorySink()] }),
    });
    const strictProxy = await startTestProxy(strict);
    try {
      await writeFile(join(work.dir, 'strict-ca.pem'), strict.caCertPem ?? '');
      const clone = await gitVia(strictProxy.url, join(work.dir, 'strict-ca.pem'), [
        'clone',
        '-q',
        `${gitlab.url}/acme/web-app.git`,
        'strict',
      ]);
      expect(clone.code).not.toBe(0);
      expect(strict.record().requests).toContainEqual(expect.objectContaining({ status: 502 }));
    } finally {
      await strict.close();
      await strictProxy.close();
    }
  });
});
