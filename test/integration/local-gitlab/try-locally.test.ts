import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnedStandInStarter } from '../../../src-main/services/local-gitlab/spawned';
import { removeDir, startServices } from '../accounts/harness';

const ROOT = join(import.meta.dirname, '..', '..', '..');
let ctx: Awaited<ReturnType<typeof startServices>> | undefined;

afterAll(async () => {
  await ctx?.services.dispose();
  if (ctx) removeDir(ctx.dataDir);
});

describe('try it locally', () => {
  it('starts the bundled GitLab, connects its bot user, lists its projects, and stops it again', async () => {
    const starter = spawnedStandInStarter(ROOT);
    expect(starter).toBeDefined();
    ctx = await startServices({ localGitLab: starter });
    const local = ctx.services.handlers.localGitLab;
    expect(await local.status()).toMatchObject({ available: true, running: false });

    const { status, account } = await local.start();
    expect(status).toMatchObject({ running: true, sampleProject: 'acme/web-app' });
    expect(account.username).toBe('cospec-bot');
    const projects = await ctx.services.handlers.repositories.refresh(account.id);
    expect(projects.projects.map((p) => p.pathWithNamespace)).toContain('acme/web-app');
    await expect(local.start()).rejects.toMatchObject({ code: 'ACCOUNT_EXISTS' });

    const stopped = await local.stop();
    expect(stopped).toMatchObject({ running: false, url: null });
    expect(await ctx.services.handlers.accounts.list()).toEqual([]);
    await expect(fetch(`${status.url}/api/v4/version`)).rejects.toThrow();
  }, 120_000);

  it('is unavailable, with a clear reason, where the build does not ship it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cospec-nolocal-'));
    try {
      expect(spawnedStandInStarter(dir)).toBeUndefined();
      const other = await startServices();
      expect(await other.services.handlers.localGitLab.status()).toMatchObject({ available: false });
      await expect(other.services.handlers.localGitLab.start()).rejects.toMatchObject({
        code: 'NOT_FOUND',
        message: expect.stringMatching(/source checkout/),
      });
      await other.services.dispose();
      removeDir(other.dataDir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
