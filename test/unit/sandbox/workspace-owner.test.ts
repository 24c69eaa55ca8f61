import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_GID, AGENT_UID, prepareWorkspaceOwner } from '../../../src-main/services/sandbox/workspace-owner';
import { DEFAULT_COPY_OUT_LIMITS } from '../../../src-main/services/sandbox/workspace-transfer';

// The hand-over changes owners: only root can, so elsewhere these say why they do not run.
const root = process.getuid?.() === 0;
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function tree(files: number): Promise<{ ws: string; outside: string }> {
  const base = await mkdtemp(join(tmpdir(), 'cospec-owner-'));
  dirs.push(base);
  const ws = join(base, 'ws');
  const outside = join(base, 'outside.txt');
  await writeFile(outside, 'not the workspace’s');
  for (let i = 0; i < files; i++) {
    const dir = join(ws, `d${i % 7}`, `e${i % 3}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${i}.txt`), String(i));
  }
  // Links are changed themselves, never followed: the file they name keeps its owner.
  await symlink(outside, join(ws, 'd0', 'link-out'));
  return { ws, outside };
}

async function owners(paths: string[]): Promise<Set<string>> {
  const seen = new Set<string>();
  for (const p of paths) {
    const s = await lstat(p);
    seen.add(`${s.uid}:${s.gid}`);
  }
  return seen;
}

function everything(ws: string, files: number): string[] {
  const paths = [ws, join(ws, 'd0', 'link-out')];
  for (let i = 0; i < files; i++) {
    paths.push(join(ws, `d${i % 7}`), join(ws, `d${i % 7}`, `e${i % 3}`));
    paths.push(join(ws, `d${i % 7}`, `e${i % 3}`, `f${i}.txt`));
  }
  return paths;
}

if (!root)
  console.warn('[workspace-owner] skipping the hand-over walk: changing owners needs root, and this runs as a user');

describe.skipIf(!root)('workspace hand-over (root app)', () => {
  it('gives every file, folder and link to the agent and all of them back, without following links', async () => {
    const files = 500; // several batches of calls in flight (workspace-owner.ts)
    const { ws, outside } = await tree(files);
    const ownership = await prepareWorkspaceOwner(ws);
    expect(ownership.user).toBe(`${AGENT_UID}:${AGENT_GID}`);
    await ownership.handedOver;
    expect(await owners(everything(ws, files))).toEqual(new Set([`${AGENT_UID}:${AGENT_GID}`]));
    expect((await lstat(outside)).uid).toBe(0);
    expect(await ownership.restore()).toBeUndefined();
    expect(await owners([...everything(ws, files), outside])).toEqual(new Set(['0:0']));
  });

  // The entry limit (200,000) is tried for real in test/integration/hostile/workspace-triggers.test.ts.
  it('stops giving back at the depth limit, saying so', async () => {
    const { ws } = await tree(3);
    const ownership = await prepareWorkspaceOwner(ws);
    await ownership.handedOver;
    let deep = ws;
    for (let i = 0; i <= DEFAULT_COPY_OUT_LIMITS.maxDepth + 1; i++) deep = join(deep, 'd');
    await mkdir(deep, { recursive: true });
    expect(await ownership.restore()).toMatch(/levels deep/);
  });
});
