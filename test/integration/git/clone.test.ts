import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import { startGitHttpServer, type GitHttpServer } from './support/git-http-server';
import { createFixtureRepo, git, scratchDir } from './support/repos';
import {
  ENGINES,
  credentialsOf,
  exists,
  filesContaining,
  leftovers,
  progressRecorder,
  serviceWithLog,
} from './support/harness';

/**
 * Real clones, on both paths (the user's git and isomorphic-git), from a real smart-HTTP server
 * (git http-backend behind GitLab-style Basic auth): default and named branch, shallow, wrong token,
 * missing branch, repository gone, cancel mid-transfer, retry after a dropped connection.
 */
const TOKEN = 'glpat-clone-test-9f8e7d6c5b4a';
let root: string;
let out: string;
let server: GitHttpServer;
let heads: { mainHead: string; featureHead: string };

beforeAll(async () => {
  root = await scratchDir('git-srv-');
  out = await scratchDir('git-out-');
  heads = await createFixtureRepo(root, 'acme/web-app');
  await createFixtureRepo(root, 'acme/lfs-assets', { files: 5, lfs: true });
  server = await startGitHttpServer({ root, token: TOKEN });
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
});

const repoUrl = (path = 'acme/web-app') => `${server.url}/${path}.git`;

async function expectCode(promise: Promise<unknown>, code: string): Promise<CospecError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CospecError);
  expect((error as CospecError).code).toBe(code);
  return error as CospecError;
}

describe.each(ENGINES)('clone with %s', (engine) => {
  it('clones the default branch, reports progress, and keeps the token out of the clone and the logs', async () => {
    const { service, logLines } = serviceWithLog();
    const dir = join(out, `${engine}-default`);
    const firstRequest = server.requests.length;
    const progress = progressRecorder();
    const result = await service.clone({
      url: repoUrl(),
      dir,
      engine,
      credentials: credentialsOf(TOKEN),
      onProgress: progress.onProgress,
    });
    expect(result).toMatchObject({ branch: 'main', head: heads.mainHead, engine, warnings: [] });
    expect(await git(['rev-parse', 'HEAD'], dir)).toBe(heads.mainHead);
    expect(await git(['status', '--porcelain'], dir)).toBe('');
    expect(await git(['branch', '-r'], dir)).toContain('origin/feature/login');
    expect(await git(['config', '--get', 'remote.origin.url'], dir)).toBe(repoUrl());
    expect(await filesContaining(dir, TOKEN)).toEqual([]);
    expect(logLines.join('\n')).not.toContain(TOKEN);
    expect(await leftovers(dir)).toEqual([]);
    const percents = progress.events.map((e) => e.percent).filter((p): p is number => p !== undefined);
    expect(percents.length).toBeGreaterThan(2);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents.at(-1)).toBe(100);
    expect(progress.events.some((e) => /Receiving objects/.test(e.detail))).toBe(true);
    // The server saw the token only as Basic auth of the account's user.
    const mine = server.requests.slice(firstRequest);
    expect(mine.some((r) => r.authorized)).toBe(true);
    expect(mine.filter((r) => r.authorized).every((r) => r.user === 'oauth2')).toBe(true);
  });

  it('clones a named branch', async () => {
    const { service } = serviceWithLog();
    const dir = join(out, `${engine}-branch`);
    const result = await service.clone({
      url: repoUrl(),
      dir,
      engine,
      branch: 'feature/login',
      credentials: credentialsOf(TOKEN, 'cospec-bot'),
    });
    expect(result).toMatchObject({ branch: 'feature/login', head: heads.featureHead });
    expect(await exists(join(dir, 'login.txt'))).toBe(true);
  });

  it('clones shallow with a depth', async () => {
    const { service } = serviceWithLog();
    const dir = join(out, `${engine}-shallow`);
    await service.clone({ url: repoUrl(), dir, engine, depth: 1, credentials: credentialsOf(TOKEN) });
    expect(await git(['rev-list', '--count', 'HEAD'], dir)).toBe('1');
    expect(await exists(join(dir, '.git', 'shallow'))).toBe(true);
  });

  it('fails with UNAUTHORIZED on a wrong token, leaves nothing behind, and can be retried', async () => {
    const { service, logLines } = serviceWithLog();
    const dir = join(out, `${engine}-badtoken`);
    await expectCode(
      service.clone({ url: repoUrl(), dir, engine, credentials: credentialsOf('glpat-wrong-token-000') }),
      'UNAUTHORIZED',
    );
    expect(await exists(dir)).toBe(false);
    expect(await leftovers(dir)).toEqual([]);
    expect(logLines.join('\n')).not.toContain('glpat-wrong-token-000');
    // Nothing left in the way: the same clone with the right token succeeds.
    expect((await service.clone({ url: repoUrl(), dir, engine, credentials: credentialsOf(TOKEN) })).head).toBe(
      heads.mainHead,
    );
  });

  it('fails with NOT_FOUND naming a missing branch', async () => {
    const { service } = serviceWithLog();
    const dir = join(out, `${engine}-nobranch`);
    const error = await expectCode(
      service.clone({ url: repoUrl(), dir, engine, branch: 'does-not-exist', credentials: credentialsOf(TOKEN) }),
      'NOT_FOUND',
    );
    expect(error.message).toContain('does-not-exist');
    expect(await exists(dir)).toBe(false);
  });

  it('fails with NOT_FOUND when the repository is gone', async () => {
    const { service } = serviceWithLog();
    const dir = join(out, `${engine}-gone`);
    const error = await expectCode(
      service.clone({ url: repoUrl('acme/deleted'), dir, engine, credentials: credentialsOf(TOKEN) }),
      'NOT_FOUND',
    );
    expect(error.message).toMatch(/not found|no longer has access/);
  });

  it('fails with CONNECTION_REFUSED when nothing listens', async () => {
    const { service } = serviceWithLog();
    const dead = await startGitHttpServer({ root, token: TOKEN });
    const url = `${dead.url}/acme/web-app.git`;
    await dead.close();
    await expectCode(
      service.clone({ url, dir: join(out, `${engine}-refused`), engine, credentials: credentialsOf(TOKEN) }),
      'CONNECTION_REFUSED',
    );
  });

  it('cancels mid-transfer and removes the partial clone', async () => {
    const held = await startGitHttpServer({ root, token: TOKEN, holdPackAfterBytes: 16 * 1024 });
    try {
      const { service } = serviceWithLog();
      const dir = join(out, `${engine}-cancel`);
      const controller = new AbortController();
      const cloning = service.clone({
        url: `${held.url}/acme/web-app.git`,
        dir,
        engine,
        signal: controller.signal,
        credentials: credentialsOf(TOKEN),
      });
      await held.held;
      controller.abort();
      await expectCode(cloning, 'CANCELLED');
      expect(await exists(dir)).toBe(false);
      expect(await leftovers(dir)).toEqual([]);
    } finally {
      await held.close();
    }
  });

  it('retries after the connection drops mid-transfer, then succeeds', async () => {
    const flaky = await startGitHttpServer({ root, token: TOKEN, dropPacks: { count: 1, afterBytes: 20 * 1024 } });
    try {
      const { service, logLines } = serviceWithLog();
      const dir = join(out, `${engine}-retry`);
      const progress = progressRecorder();
      const result = await service.clone({
        url: `${flaky.url}/acme/web-app.git`,
        dir,
        engine,
        credentials: credentialsOf(TOKEN),
        onProgress: progress.onProgress,
      });
      expect(result.head).toBe(heads.mainHead);
      expect(flaky.dropped()).toBe(1);
      expect(progress.events.some((e) => /retrying/.test(e.detail))).toBe(true);
      expect(logLines.some((l) => l.includes('clone interrupted, retrying'))).toBe(true);
      expect(await git(['fsck', '--no-progress'], dir)).toBe('');
    } finally {
      await flaky.close();
    }
  });

  it('says so when the repository uses Git LFS', async () => {
    const { service } = serviceWithLog();
    const result = await service.clone({
      url: repoUrl('acme/lfs-assets'),
      dir: join(out, `${engine}-lfs`),
      engine,
      credentials: credentialsOf(TOKEN),
    });
    expect(result.warnings.join(' ')).toMatch(/Git LFS/);
  });

  it('refuses a non-empty target and sweeps what a crashed clone left', async () => {
    const { service } = serviceWithLog();
    const busy = join(out, `${engine}-busy`);
    await mkdir(busy, { recursive: true });
    await writeFile(join(busy, 'keep.txt'), 'mine');
    await expectCode(
      service.clone({ url: repoUrl(), dir: busy, engine, credentials: credentialsOf(TOKEN) }),
      'INVALID_INPUT',
    );

    const dir = join(out, `${engine}-aftercrash`);
    // What a process killed mid-clone leaves: a staging folder named after its (now dead) pid.
    await mkdir(join(out, `.${engine}-aftercrash.cospec-clone-999999999-dead`, '.git'), { recursive: true });
    await service.clone({ url: repoUrl(), dir, engine, credentials: credentialsOf(TOKEN) });
    expect(await leftovers(dir)).toEqual([]);
  });
});

describe('request validation', () => {
  it('refuses a URL that carries credentials', async () => {
    const { service } = serviceWithLog();
    await expectCode(
      service.clone({
        url: `http://oauth2:${TOKEN}@127.0.0.1:1/a.git`,
        dir: join(out, 'creds-in-url'),
        credentials: credentialsOf(TOKEN),
      }),
      'INVALID_INPUT',
    );
  });
});

describe('engine choice', () => {
  it('uses git when installed, isomorphic-git when not or when only a dispatcher carries the network', async () => {
    const { service } = serviceWithLog();
    const { Agent } = await import('undici');
    const dispatcher = new Agent();
    expect(await service.engineFor({})).toBe('git');
    expect(await service.engineFor({ dispatcher })).toBe('isomorphic-git');
    expect(await service.engineFor({ dispatcher, network: {} })).toBe('git');
    const noGit = serviceWithLog({ gitPath: join(out, 'no-such-git') }).service;
    expect(await noGit.engineFor({})).toBe('isomorphic-git');
    await expectCode(
      noGit.clone({ url: repoUrl(), dir: join(out, 'forced-git'), engine: 'git', credentials: credentialsOf(TOKEN) }),
      'CLONE_FAILED',
    );
    await dispatcher.close();
  });
});
