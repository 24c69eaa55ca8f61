import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGE, connectEngine } from '../../../src-main/services/sandbox';
import type { ContainerEngine, ContainerHandle } from '../../../src-main/services/sandbox/engine';
import {
  copyIntoContainer,
  copyOutOfContainer,
  CopyOutLimitError,
  DEFAULT_COPY_OUT_LIMITS,
} from '../../../src-main/services/sandbox/workspace-transfer';
import { sandboxSkipReason, SOCKET } from '../sandbox/harness';

/*
 * A remote engine's run copies the workspace back to this computer. The agent controls what is in
 * it: a real container fills a volume with too many files, a huge (sparse) file, a very deep tree,
 * link loops and links out of the workspace; the copy back stops at its limits with a message that
 * names the limit, keeps the previous workspace, and never follows a link.
 */
const skip = await sandboxSkipReason();
if (skip) console.warn(`[hostile] skipping workspace limit tests: ${skip}`);

let engine: ContainerEngine;
let container: ContainerHandle;
let root: string;
const volume = `cospec-limits-${process.pid}`;

async function inContainer(script: string): Promise<void> {
  const result = await container.exec(['/bin/sh', '-c', `set -e; ${script}`]);
  if (result.exitCode !== 0) throw new Error(`setup failed: ${result.output}`);
}

/** A host workspace holding one file, to show a refused copy leaves it as it was. */
function previousWorkspace(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'before.txt'), 'the workspace before the copy\n');
  return dir;
}

describe.skipIf(skip)('copying a hostile workspace back from the engine', () => {
  beforeAll(async () => {
    engine = await connectEngine(SOCKET);
    root = mkdtempSync(join(tmpdir(), 'cospec-limits-'));
    await engine.createVolume(volume, { 'cospec.test': 'limits' });
    container = await engine.createContainer({
      name: volume,
      image: BASE_IMAGE,
      cmd: ['sleep', '600'],
      env: {},
      user: '1000:1000',
      workingDir: '/w',
      labels: { 'cospec.test': 'limits' },
      binds: [],
      volumes: [{ volume, container: '/w' }],
      tmpfs: { '/tmp': 'rw,nosuid,nodev,size=64m' },
      memoryBytes: 512 * 1024 * 1024,
      nanoCpus: 1e9,
      pidsLimit: 128,
    });
    // The folders the agent writes into, owned by its uid, as a run's workspace volume is.
    const seed = join(root, 'seed');
    for (const name of ['many', 'huge', 'deep', 'links']) mkdirSync(join(seed, name), { recursive: true });
    await copyIntoContainer(container, seed, '/w', { uid: 1000, gid: 1000 });
    await container.start();
  }, 120_000);

  afterAll(async () => {
    await container?.remove().catch(() => undefined);
    await engine?.removeVolume(volume).catch(() => undefined);
    await engine?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('stops at too many files, keeping the previous workspace', async () => {
    await inContainer('cd /w/many && seq 1 30000 | xargs touch');
    const host = previousWorkspace('many');
    const error = await copyOutOfContainer(container, '/w/many', host, {
      ...DEFAULT_COPY_OUT_LIMITS,
      maxEntries: 20_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyOutLimitError);
    expect((error as Error).message).toMatch(/not copied back: it has more than 20,000 files and folders/);
    expect(readFileSync(join(host, 'before.txt'), 'utf8')).toContain('before');
    expect(existsSync(`${host}.from-sandbox`)).toBe(false);
  }, 300_000);

  it('stops at a huge file before reading it (20 GiB, sparse in the volume)', async () => {
    await inContainer('truncate -s 20G /w/huge/disk.img && echo hi > /w/huge/small.txt');
    const host = previousWorkspace('huge');
    const error = await copyOutOfContainer(container, '/w/huge', host).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyOutLimitError);
    expect((error as Error).message).toMatch(/disk\.img is larger than 1 GiB/);
    expect(existsSync(join(host, 'disk.img'))).toBe(false);
  }, 300_000);

  it('stops at a tree deeper than the limit', async () => {
    await inContainer('cd /w/deep && mkdir -p "$(printf \'d/%.0s\' $(seq 1 200))"');
    const host = previousWorkspace('deep');
    const error = await copyOutOfContainer(container, '/w/deep', host).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyOutLimitError);
    expect((error as Error).message).toMatch(/more than 128 levels deep/);
  }, 300_000);

  it('copies link loops as links and leaves out links that leave the workspace', async () => {
    await inContainer(
      [
        'mkdir -p /w/links/sub && cd /w/links',
        'echo ok > file.txt',
        'ln -s b a && ln -s a b',
        'ln -s .. sub/up && ln -s . self',
        'ln -s /etc/passwd out && ln -s ../../../../etc up-out',
      ].join(' && '),
    );
    const host = previousWorkspace('links');
    const result = await copyOutOfContainer(container, '/w/links', host);
    expect(readFileSync(join(host, 'file.txt'), 'utf8')).toBe('ok\n');
    for (const link of ['self', 'sub/up']) expect(lstatSync(join(host, link)).isSymbolicLink()).toBe(true);
    // Of the loop, the first link written stays; the second would go through it and is left out.
    const loop = ['a', 'b'].filter((l) => lstatSync(join(host, l), { throwIfNoEntry: false })?.isSymbolicLink());
    expect(loop).toHaveLength(1);
    for (const gone of ['out', 'up-out'])
      expect(lstatSync(join(host, gone), { throwIfNoEntry: false })).toBeUndefined();
    expect(result.skippedLinkCount).toBe(3);
    expect(result.skippedLinks.sort()).toEqual(['a', 'b', 'out', 'up-out'].filter((l) => !loop.includes(l)));
  }, 300_000);
});
