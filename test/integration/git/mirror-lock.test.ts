import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src-main/platform/logger';
import { createMirrorStore } from '../../../src-main/services/git/mirror';
import { lockPath, MirrorLockTimeout, withMirrorLock } from '../../../src-main/services/git/mirror-lock';
import { scratchDir } from './support/repos';

/**
 * The mirrors' lock across processes: another process (as the `cospec` command beside the app
 * would be) holds a mirror's lock with the product's own code, and this process's work on that
 * mirror must wait for it, take over a lock its dead holder left behind, and give up with a clear
 * error when the other process keeps it too long.
 */
const logger = createLogger({ level: 'error', sinks: [] });
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const lockModule = join(repo, 'src-main/services/git/mirror-lock.ts');
let root: string;
const holders: ChildProcess[] = [];

beforeAll(async () => {
  root = await scratchDir('mirror-lock-');
});
afterEach(() => {
  for (const h of holders.splice(0)) h.kill('SIGKILL');
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * Another process holding the mirror's lock until its stdin ends; it writes `marker` just before
 * releasing, so work that sees the marker ran after the release.
 */
async function holdInAnotherProcess(
  gitDir: string,
  marker: string,
): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const script = `
    const { writeFileSync } = await import('node:fs');
    const { withMirrorLock } = await import(${JSON.stringify(lockModule)});
    const logger = { warn() {}, info() {}, debug() {}, error() {}, child() { return logger; } };
    await withMirrorLock(${JSON.stringify(gitDir)}, async () => {
      process.stdout.write('held\\n');
      process.stdin.resume();
      await new Promise((resolve) => process.stdin.once('end', resolve));
      writeFileSync(${JSON.stringify(marker)}, 'released');
    }, { logger });
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repo,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  holders.push(child);
  // Listened for from the start: the holder may be gone before a caller would start listening.
  const exited = once(child, 'exit');
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => out.includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before holding the lock`)));
  });
  return { child, exited };
}

describe('mirror lock across processes', () => {
  it('makes a mirror’s work wait for another process holding it', async () => {
    const store = createMirrorStore({ root: join(root, 'wait'), logger });
    const mirror = await store.open({ accountId: 'acct', projectId: 7 });
    const marker = join(root, 'wait-released');
    const holder = await holdInAnotherProcess(mirror.gitDir, marker);
    expect(existsSync(lockPath(mirror.gitDir))).toBe(true);
    // The lock's folder is not mistaken for a mirror by the size bound.
    expect((await store.usage()).map((u) => u.gitDir)).toEqual([mirror.gitDir]);

    const work = mirror.exclusive(async () => existsSync(marker));
    holder.child.stdin?.end();
    expect(await work).toBe(true);
    await holder.exited;
    expect(existsSync(lockPath(mirror.gitDir))).toBe(false);
  }, 60_000);

  it('takes over a lock whose holder died', async () => {
    const store = createMirrorStore({ root: join(root, 'stale'), logger, lock: { staleMs: 2000 } });
    const mirror = await store.open({ accountId: 'acct', projectId: 8 });
    const holder = await holdInAnotherProcess(mirror.gitDir, join(root, 'stale-released'));
    holder.child.kill('SIGKILL');
    await holder.exited;
    // Killed without a chance to clean up: its lock is still there.
    expect(existsSync(lockPath(mirror.gitDir))).toBe(true);
    await expect(mirror.exclusive(async () => 'ran')).resolves.toBe('ran');
  }, 60_000);

  it('gives up with a clear error when the other process keeps it too long', async () => {
    const gitDir = join(await scratchDir('mirror-lock-timeout-'), '9.git');
    const marker = join(root, 'timeout-released');
    const holder = await holdInAnotherProcess(gitDir, marker);
    let ran = false;
    const attempt = withMirrorLock(gitDir, async () => (ran = true), { logger, waitMs: 300, pollMs: 50 });
    await expect(attempt).rejects.toBeInstanceOf(MirrorLockTimeout);
    await expect(attempt).rejects.toThrow(/Another coSPEC process has been using the project's cache/);
    expect(ran).toBe(false);
    holder.child.stdin?.end();
    await holder.exited;
    expect(existsSync(marker)).toBe(true);
  }, 60_000);
});
