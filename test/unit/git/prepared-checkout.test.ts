/**
 * The slot of prepared checkouts beside a mirror (prepared-checkout.ts), on its own: what makes one
 * unusable (another commit, another engine, a damaged description, a file changed, added or
 * removed since) removes it rather than handing it out; a taken one is gone from the cache; a build
 * that fails leaves nothing; old leftovers of crashes are swept; Clear takes everything.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createPreparedCheckouts } from '../../../src-main/services/git/prepared-checkout';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
let root: string;
let gitDir: string;
let n = 0;
const sink = memorySink();
const prepared = createPreparedCheckouts({ logger: createLogger({ level: 'debug', sinks: [sink] }) });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'prepared-checkout-'));
  gitDir = join(root, '1.git');
  await mkdir(gitDir);
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** What a full copy writes: files, a folder, and `.git` with an index. */
const make = (commit: string) => async (dir: string) => {
  await mkdir(join(dir, '.git'), { recursive: true });
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'README.md'), 'hello\n');
  await writeFile(join(dir, 'src', 'main.ts'), 'export {};\n');
  await writeFile(join(dir, '.git', 'index'), 'DIRC index bytes');
  await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  return commit;
};
/** A repository made without a checkout, as the clone cache's copy writes it before placing. */
async function bareCopy(): Promise<string> {
  const dir = join(root, `ws-${++n}`);
  await mkdir(join(dir, '.git'), { recursive: true });
  await writeFile(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  return dir;
}
const slot = () => `${gitDir}.checkout`;

it('a prepared checkout is moved into the new repository, at the commit it was made for, and leaves the cache', async () => {
  await prepared.prepare(gitDir, 'git', make(A));
  expect(await prepared.bytes(gitDir)).toBeGreaterThan(0);
  const taken = await prepared.take(gitDir, 'git');
  expect(taken?.commit).toBe(A);
  const dir = await bareCopy();
  await taken?.placeInto(dir);
  expect(await readFile(join(dir, 'README.md'), 'utf8')).toBe('hello\n');
  expect(await readFile(join(dir, '.git', 'index'), 'utf8')).toBe('DIRC index bytes');
  expect(await readFile(join(dir, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
  expect(await readdir(slot())).toEqual([]);
  expect(await prepared.bytes(gitDir)).toBe(0);
  // Taken once: the next run finds none.
  expect(await prepared.take(gitDir, 'git')).toBeUndefined();
});

it.each([
  ['another engine', async (): Promise<void> => undefined, 'isomorphic-git', 'it was made by git'],
  [
    'a damaged description',
    async () => writeFile(join(slot(), 'ready', 'meta.json'), '{"version":1,'),
    'git',
    'its description is missing or damaged',
  ],
  [
    'a file changed since',
    async () => writeFile(join(slot(), 'ready', 'tree', 'README.md'), 'changed\n'),
    'git',
    'its files changed',
  ],
  [
    'a file changed with its size and times put back',
    async () => {
      const file = join(slot(), 'ready', 'tree', 'README.md');
      const before = await stat(file);
      await writeFile(file, 'HELLO\n');
      await utimes(file, before.atime, before.mtime);
    },
    'git',
    'its files changed',
  ],
  [
    'its index changed since',
    async () => writeFile(join(slot(), 'ready', 'index'), 'DIRC other bytes'),
    'git',
    'its files changed',
  ],
  [
    'a file added since',
    async () => writeFile(join(slot(), 'ready', 'tree', 'src', 'planted.ts'), ''),
    'git',
    'its files changed',
  ],
  ['a file removed since', async () => rm(join(slot(), 'ready', 'tree', 'src', 'main.ts')), 'git', 'its files changed'],
] as const)('one with %s is removed, never handed out', async (_what, spoil, engine, why) => {
  await prepared.prepare(gitDir, 'git', make(A));
  await spoil();
  const taken = await prepared.take(gitDir, engine);
  if (why === 'its files changed') {
    // Found when it is placed (checked while the caller makes the repository): refused, not moved.
    const dir = await bareCopy();
    await expect(taken?.placeInto(dir)).rejects.toThrow(why);
    expect(await readdir(dir)).toEqual(['.git']);
  } else expect(taken).toBeUndefined();
  expect(sink.lines.at(-1)).toContain(why);
  // Removed after the take, not while a run waits for it.
  await prepared.idle();
  expect(await readdir(slot())).toEqual([]);
});

it('a build that fails leaves nothing, and the one prepared before stays usable', async () => {
  await prepared.prepare(gitDir, 'git', make(A));
  await expect(
    prepared.prepare(gitDir, 'git', async (dir) => {
      await make(B)(dir);
      throw new Error('copy failed');
    }),
  ).rejects.toThrow('copy failed');
  expect(await readdir(slot())).toEqual(['ready']);
  const taken = await prepared.take(gitDir, 'git');
  expect(taken?.commit).toBe(A);
  await taken?.discard();
  await prepared.idle();
});

it('a newer one replaces the older; a take waits for a build under way', async () => {
  await prepared.prepare(gitDir, 'git', make(A));
  const building = prepared.prepare(gitDir, 'git', make(B));
  const taken = await prepared.take(gitDir, 'git');
  await building;
  expect(taken?.commit).toBe(B);
  await taken?.discard();
  await prepared.idle();
  expect(await readdir(slot())).toEqual([]);
});

it('old leftovers of a crash are swept by the next build; drop removes everything', async () => {
  const old = new Date(Date.now() - 60 * 60_000);
  for (const name of ['new-dead', 'taken-dead']) {
    await mkdir(join(slot(), name, 'tree'), { recursive: true });
    await utimes(join(slot(), name), old, old);
  }
  await mkdir(join(slot(), 'new-recent'));
  await prepared.prepare(gitDir, 'git', make(A));
  expect((await readdir(slot())).sort()).toEqual(['new-recent', 'ready']);
  await prepared.drop(gitDir);
  expect(await readdir(slot()).catch(() => 'gone')).toBe('gone');
});
