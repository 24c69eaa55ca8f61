import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import { createAccountNetwork, type AccountNetwork } from '../../../src-main/services/gitlab/network';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { startForwardProxy, type TestProxy } from './support/http-proxy';
import { git, scratchDir } from './support/repos';
import { ENGINES, credentialsOf, exists, filesContaining, leftovers, serviceWithLog } from './support/harness';

/**
 * Clones of the seeded projects from the GitLab stand-in (GitLab's answers for auth and access in
 * front of the real git http-backend), over http and over https with its private CA, directly and
 * through a proxy, on both clone paths; with a PAT of cospec-bot, as the app does it.
 */
const run = promisify(execFile);
let plain: StandIn;
let tls: StandIn;
let proxy: TestProxy;
let out: string;
const networks: AccountNetwork[] = [];

beforeAll(async () => {
  [plain, tls, proxy] = await Promise.all([
    startGitLabStandIn(),
    startGitLabStandIn({ tls: true }),
    startForwardProxy(),
  ]);
  out = await scratchDir('git-standin-out-');
});

afterAll(async () => {
  await Promise.all(networks.map((n) => n.close()));
  await Promise.all([plain?.close(), tls?.close(), proxy?.close()]);
  await rm(out, { recursive: true, force: true });
});

async function networkFor(standIn: StandIn, proxyUrl?: string) {
  const net = await createAccountNetwork(
    standIn.url,
    { useSystemCa: true, caCertificatesPem: standIn.caPem, proxyUrl },
    { env: {} },
  );
  networks.push(net);
  return { dispatcher: net.dispatcher, network: { caPem: net.caPem, proxyUrl: net.proxyUrl } };
}

const bot = () => plain.user('cospec-bot');
const headOf = async (standIn: StandIn, project: string, branch: string) =>
  (await run('git', ['--git-dir', standIn.repoDir(project), 'rev-parse', branch])).stdout.trim();

async function failure(promise: Promise<unknown>): Promise<CospecError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CospecError);
  return error as CospecError;
}

describe.each(ENGINES)('GitLab stand-in clones with %s', (engine) => {
  it('clones acme/web-app over http with a PAT; the token is in no file and no log line', async () => {
    const { service, logLines } = serviceWithLog();
    const { token, username } = bot();
    const dir = join(out, `${engine}-web-app`);
    const result = await service.clone({
      url: `${plain.url}/acme/web-app.git`,
      dir,
      engine,
      credentials: credentialsOf(token, username),
      ...(await networkFor(plain)),
    });
    expect(result).toMatchObject({ branch: 'main', head: await headOf(plain, 'acme/web-app', 'main'), engine });
    expect(await git(['status', '--porcelain'], dir)).toBe('');
    expect(await filesContaining(dir, token)).toEqual([]);
    expect(logLines.join('\n')).not.toContain(token);
  });

  it('clones acme/api-service over https trusting only the stand-in CA, through a proxy', async () => {
    const { service } = serviceWithLog();
    const { token, username } = tls.user('cospec-bot');
    const before = proxy.seen.length;
    const dir = join(out, `${engine}-api-tls-proxy`);
    const result = await service.clone({
      url: `${tls.url}/acme/api-service.git`,
      dir,
      engine,
      credentials: credentialsOf(token, username),
      ...(await networkFor(tls, proxy.url)),
    });
    expect(result.head).toBe(await headOf(tls, 'acme/api-service', 'main'));
    expect(proxy.seen.slice(before).some((l) => l.startsWith(`CONNECT ${new URL(tls.url).host}`))).toBe(true);
  });

  it('refuses a revoked token with UNAUTHORIZED', async () => {
    const { service } = serviceWithLog();
    const dir = join(out, `${engine}-revoked`);
    const error = await failure(
      service.clone({
        url: `${plain.url}/acme/web-app.git`,
        dir,
        engine,
        credentials: credentialsOf(plain.tokens.revoked, 'cospec-bot'),
      }),
    );
    expect(error.code).toBe('UNAUTHORIZED');
    expect(await exists(dir)).toBe(false);
    expect(await leftovers(dir)).toEqual([]);
  });

  it('reports a project the account cannot see as NOT_FOUND (access lost or repository gone)', async () => {
    const { service } = serviceWithLog();
    const { token, username } = bot();
    const error = await failure(
      service.clone({
        url: `${plain.url}/tools/secret.git`,
        dir: join(out, `${engine}-secret`),
        engine,
        credentials: credentialsOf(token, username),
      }),
    );
    expect(error.code).toBe('NOT_FOUND');
  });

  it('names a missing branch', async () => {
    const { service } = serviceWithLog();
    const { token, username } = bot();
    const error = await failure(
      service.clone({
        url: `${plain.url}/acme/web-app.git`,
        dir: join(out, `${engine}-nobranch`),
        branch: 'no-such-branch',
        engine,
        credentials: credentialsOf(token, username),
      }),
    );
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('no-such-branch');
  });

  it('retries when the connection drops (the pack request is cut)', async () => {
    const { service } = serviceWithLog();
    const { token, username } = bot();
    const hitsBefore = plain.faults.hits.length;
    const remove = plain.faults.add({
      match: { path: /\/git-upload-pack$/, method: 'POST' },
      reset: 'before-response',
      times: 1,
    });
    try {
      const dir = join(out, `${engine}-dropped`);
      const result = await service.clone({
        url: `${plain.url}/acme/web-app.git`,
        dir,
        engine,
        credentials: credentialsOf(token, username),
      });
      expect(result.head).toBe(await headOf(plain, 'acme/web-app', 'main'));
      expect(plain.faults.hits.length - hitsBefore).toBe(1);
    } finally {
      remove();
    }
  });
});
