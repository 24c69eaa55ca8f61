import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import { createAccountNetwork, type AccountNetwork } from '../../../src-main/services/gitlab/network';
import { selfSignedCert } from '../accounts/tls-fixtures';
import { startGitHttpServer, type GitHttpServer } from './support/git-http-server';
import { startForwardProxy, type TestProxy } from './support/http-proxy';
import { createFixtureRepo, git, scratchDir } from './support/repos';
import { ENGINES, credentialsOf, exists, filesContaining, serviceWithLog } from './support/harness';

/**
 * The account's network on both clone paths: an https GitLab signed by a private CA (trusted only
 * through the account's CA setting), an explicit proxy, and a disk that fills up. Also proves the
 * git path never puts the token on a command line.
 */
const TOKEN = 'glpat-network-test-1a2b3c4d5e';
const run = promisify(execFile);
let root: string;
let out: string;
let https: GitHttpServer;
let http: GitHttpServer;
let proxy: TestProxy;
let certPem: string;
const networks: AccountNetwork[] = [];

beforeAll(async () => {
  root = await scratchDir('git-net-srv-');
  out = await scratchDir('git-net-out-');
  await createFixtureRepo(root, 'acme/api-service', { files: 50 });
  const cert = selfSignedCert({
    notBefore: new Date(Date.now() - 86_400_000),
    notAfter: new Date(Date.now() + 86_400_000),
  });
  certPem = cert.certPem;
  https = await startGitHttpServer({ root, token: TOKEN, tls: cert });
  http = await startGitHttpServer({ root, token: TOKEN });
  proxy = await startForwardProxy();
});

afterAll(async () => {
  await Promise.all(networks.map((n) => n.close()));
  await Promise.all([https?.close(), http?.close(), proxy?.close()]);
  await rm(root, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

async function accountNetwork(instanceUrl: string, settings: { caCertificatesPem?: string; proxyUrl?: string }) {
  const net = await createAccountNetwork(instanceUrl, { useSystemCa: true, ...settings }, { env: {} });
  networks.push(net);
  return { dispatcher: net.dispatcher, network: { caPem: net.caPem, proxyUrl: net.proxyUrl } };
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return error instanceof CospecError ? error.code : String(error);
}

describe.each(ENGINES)('network settings with %s', (engine) => {
  it('clones over https when the account trusts the private CA, and not without it', async () => {
    const { service } = serviceWithLog();
    const url = `${https.url}/acme/api-service.git`;
    const net = await accountNetwork(https.url, { caCertificatesPem: certPem });
    const result = await service.clone({
      url,
      dir: join(out, `${engine}-tls`),
      engine,
      credentials: credentialsOf(TOKEN),
      ...net,
    });
    expect(result.branch).toBe('main');
    const plain = await accountNetwork(https.url, {});
    expect(
      await codeOf(
        service.clone({
          url,
          dir: join(out, `${engine}-tls-untrusted`),
          engine,
          credentials: credentialsOf(TOKEN),
          ...plain,
        }),
      ),
    ).toBe('TLS_UNKNOWN_CA');
    expect(await exists(join(out, `${engine}-tls-untrusted`))).toBe(false);
  });

  it('goes through the account proxy (CONNECT for https) with the private CA', async () => {
    const { service } = serviceWithLog();
    const before = proxy.seen.length;
    const net = await accountNetwork(https.url, { caCertificatesPem: certPem, proxyUrl: proxy.url });
    await service.clone({
      url: `${https.url}/acme/api-service.git`,
      dir: join(out, `${engine}-proxy-https`),
      engine,
      credentials: credentialsOf(TOKEN),
      ...net,
    });
    const port = new URL(https.url).port;
    expect(proxy.seen.slice(before).some((line) => line === `CONNECT 127.0.0.1:${port}`)).toBe(true);
  });

  it('goes through the account proxy for an http instance', async () => {
    const { service } = serviceWithLog();
    const before = proxy.seen.length;
    const net = await accountNetwork(http.url, { proxyUrl: proxy.url });
    await service.clone({
      url: `${http.url}/acme/api-service.git`,
      dir: join(out, `${engine}-proxy-http`),
      engine,
      credentials: credentialsOf(TOKEN),
      ...net,
    });
    const port = new URL(http.url).port;
    expect(proxy.seen.slice(before).some((line) => line.includes(`127.0.0.1:${port}`))).toBe(true);
  });

  it('reports a proxy that does not answer as PROXY_ERROR', async () => {
    const { service } = serviceWithLog();
    const dead = await startForwardProxy();
    await dead.close();
    const net = await accountNetwork(http.url, { proxyUrl: dead.url });
    expect(
      await codeOf(
        service.clone({
          url: `${http.url}/acme/api-service.git`,
          dir: join(out, `${engine}-proxy-dead`),
          engine,
          credentials: credentialsOf(TOKEN),
          ...net,
        }),
      ),
    ).toBe('PROXY_ERROR');
  });

  it('reports a full disk as DISK_FULL and leaves nothing behind', async (ctx) => {
    if (process.platform !== 'linux' || process.getuid?.() !== 0) {
      ctx.skip(true, 'needs root on Linux to mount a tiny tmpfs');
      return;
    }
    const small = join(out, `${engine}-tiny-disk`);
    await mkdir(small, { recursive: true });
    try {
      await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small]);
    } catch (error) {
      ctx.skip(true, `could not mount a tmpfs here: ${String(error)}`);
      return;
    }
    try {
      const { service } = serviceWithLog();
      const dir = join(small, 'clone');
      expect(
        await codeOf(
          service.clone({ url: `${http.url}/acme/api-service.git`, dir, engine, credentials: credentialsOf(TOKEN) }),
        ),
      ).toBe('DISK_FULL');
      expect(await exists(dir)).toBe(false);
      expect((await run('ls', ['-A', small])).stdout.trim()).toBe('');
    } finally {
      await run('umount', [small]);
    }
  });
});

describe('the git path keeps the token off command lines and out of git config', () => {
  it('gives git the token only through the askpass, and saves it nowhere', async () => {
    const bin = await scratchDir('git-wrap-');
    const argvLog = join(bin, 'argv.log');
    const wrapper = join(bin, 'git');
    // Records the command line of every git process the service starts, then runs the real git.
    const realGit = (await run('sh', ['-c', 'command -v git'])).stdout.trim();
    await writeFile(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec '${realGit}' "$@"\n`);
    await chmod(wrapper, 0o755);
    const { service, logLines } = serviceWithLog({ gitPath: wrapper });
    const dir = join(out, 'cli-no-token');
    const net = await accountNetwork(https.url, { caCertificatesPem: certPem });
    await service.clone({
      url: `${https.url}/acme/api-service.git`,
      dir,
      engine: 'git',
      credentials: credentialsOf(TOKEN),
      ...net,
    });
    const argv = await readFile(argvLog, 'utf8');
    expect(argv).toContain('clone');
    expect(argv).not.toContain(TOKEN);
    expect(await filesContaining(dir, TOKEN)).toEqual([]);
    expect(await git(['config', '--list', '--local'], dir)).not.toMatch(/extraheader|credential|sslcainfo|proxy/i);
    expect(logLines.join('\n')).not.toContain(TOKEN);
    await rm(bin, { recursive: true, force: true });
  });
});
