import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeDir, startServices } from './harness';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach(removeDir));

describe('a corrupt settings file at start-up', () => {
  it('is backed up and reported once through accounts.list, then the app carries on', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cospec-corrupt-'));
    dirs.push(dataDir);
    const damaged = '{"accounts":[{"id":"a1","instanceUrl":"https://gitlab.example.com"'; // cut off mid-write
    writeFileSync(join(dataDir, 'config.json'), damaged);
    const ctx = await startServices({ dataDir });
    try {
      const first = ctx.accounts.list();
      await expect(first).rejects.toMatchObject({
        code: 'SETTINGS_CORRUPT',
        message: expect.stringContaining('config.json.corrupt-'),
      });
      const backups = readdirSync(dataDir).filter((f) => f.startsWith('config.json.corrupt-'));
      expect(backups).toHaveLength(1);
      expect(readFileSync(join(dataDir, backups[0]!), 'utf8')).toBe(damaged);
      expect(await ctx.accounts.list()).toEqual([]);
      expect(ctx.logLines.join('\n')).toContain('backed up');
    } finally {
      await ctx.services.dispose();
    }
  });

  it('an account record of the wrong shape is reported, its file backed up, not silently dropped', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cospec-corrupt-'));
    dirs.push(dataDir);
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ accounts: [{ id: 'a1', username: 42 }] }));
    const ctx = await startServices({ dataDir });
    try {
      await expect(ctx.accounts.list()).rejects.toMatchObject({ code: 'SETTINGS_CORRUPT' });
      const backup = readdirSync(dataDir).find((f) => f.startsWith('config.json.corrupt-'))!;
      expect(JSON.parse(readFileSync(join(dataDir, backup), 'utf8'))).toEqual({
        accounts: [{ id: 'a1', username: 42 }],
      });
    } finally {
      await ctx.services.dispose();
    }
  });
});
