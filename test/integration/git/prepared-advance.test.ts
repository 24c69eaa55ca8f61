import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { checkoutFromPack } from '../../../src-main/services/git/checkout';
import { advanceCheckout, TooManyChanges } from '../../../src-main/services/git/checkout-advance';
import { createCloneCache, type CloneCache } from '../../../src-main/services/git/clone-cache';
import { openPackSet } from '../../../src-main/services/git/pack-set';
import { createIsomorphicMirrorOps } from '../../../src-main/services/git/isomorphic-mirror';
import { createMirrorStore } from '../../../src-main/services/git/mirror';
import type { CloneEngineName } from '../../../src-main/services/git/types';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { git, scratchDir } from './support/repos';
import { ENGINES, standInCacheRequest } from './support/harness';

/**
 * A checkout prepared for the next run (prepared-checkout.ts) that GitLab has moved past is brought
 * to the run's commit in place (MirrorOps.advance: git's read-tree on the git path,
 * checkout-advance.ts on the isomorphic-git path), on both clone paths, against the stand-in. The
 * pushes in between were made by whoever can push, an earlier agent included, so they try what a
 * hostile tree can: a link of the old commit becomes a folder of the new one (anything written
 * through it would land outside the workspace), folders and files trade places, modes flip. The
 * result must be exactly git's own checkout of the new commit, index included, and nothing may
 * appear outside.
 */
let gitlab: StandIn;
let root: string;
let outside: string;

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  root = await scratchDir('prepared-advance-');
  outside = join(root, 'outside');
  await mkdir(outside);
});

afterAll(async () => {
  await gitlab?.close();
  await rm(root, { recursive: true, force: true });
});

const PROJECT = 'acme/web-app';

/**
 * One commit on the stand-in's main, made by `change` in a scratch clone and `staged` in its index
 * after that (submodules exist only there), pushed as a user's push lands.
 */
async function push(
  tag: string,
  change: (work: string) => Promise<void>,
  force = false,
  staged?: (work: string) => Promise<void>,
): Promise<string> {
  const work = join(root, `push-${tag}`);
  await git(['clone', '-q', '--branch', 'main', gitlab.repoDir(PROJECT), work]);
  await change(work);
  await git(['add', '-A'], work);
  await staged?.(work);
  await git(['commit', '-q', '-m', tag], work);
  await git(['push', '-q', ...(force ? ['--force'] : []), 'origin', 'HEAD:refs/heads/main'], work);
  const head = await git(['rev-parse', 'HEAD'], work);
  await rm(work, { recursive: true, force: true });
  return head;
}

/** Every path under a work tree (not .git) with its type, executable bit, and content or link target. */
async function treeOf(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (rel: string) => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      if (!rel && name === '.git') continue;
      const path = rel ? `${rel}/${name}` : name;
      const info = await lstat(join(dir, path));
      if (info.isSymbolicLink()) found.push(`${path} -> ${await readlink(join(dir, path))}`);
      else if (info.isDirectory()) {
        found.push(`${path}/`);
        await walk(path);
      } else
        found.push(`${path} ${info.mode & 0o111 ? 'x' : '-'} ${(await readFile(join(dir, path))).toString('base64')}`);
    }
  };
  await walk('');
  return found;
}

function cacheFor(engine: CloneEngineName, tag: string, isomorphic?: 'failing-advance') {
  const sink = memorySink();
  const logger = createLogger({ level: 'debug', sinks: [sink] });
  const mirrors = createMirrorStore({ root: join(root, `${engine}-${tag}-mirrors`), logger });
  const real = createIsomorphicMirrorOps({ mirrors, logger });
  const cache: CloneCache = createCloneCache({
    mirrors,
    logger,
    maxBytes: () => 5 * 1024 ** 3,
    ...(isomorphic ? { isomorphic: { ...real, advance: () => Promise.reject(new Error('advance broke')) } } : {}),
  });
  let n = 0;
  const run = async () => {
    const dir = join(root, `${engine}-${tag}-ws-${++n}`);
    const result = await cache.clone(
      standInCacheRequest(gitlab, PROJECT, {
        key: { accountId: `acc-${tag}`, projectId: 1 },
        dir,
        engine,
        // The run "ends" at once; the checkout for the next is prepared in the background.
        prepareAfter: Promise.resolve(),
      }),
    );
    await cache.settled();
    const line = sink.lines.filter((l) => l.includes('workspace made from the clone cache')).at(-1) ?? '{}';
    const made = JSON.parse(line) as { prepared?: boolean; advancedFrom?: string };
    return { dir, head: result?.head, prepared: made.prepared, advancedFrom: made.advancedFrom };
  };
  return { cache, run, lines: sink.lines };
}

/** The workspace is what git's own clone of the server's main gives, index included, and clean. */
async function expectCloneOfServer(dir: string, tag: string): Promise<void> {
  const fresh = join(root, `fresh-${tag}`);
  await git(['clone', '-q', '--branch', 'main', gitlab.repoDir(PROJECT), fresh]);
  expect(await git(['rev-parse', 'HEAD'], dir)).toBe(await git(['rev-parse', 'HEAD'], fresh));
  expect(await git(['ls-files', '-s'], dir)).toBe(await git(['ls-files', '-s'], fresh));
  expect(await treeOf(dir)).toEqual(await treeOf(fresh));
  // The index's stat data matches the files as they are: nothing looks changed, nothing is left over.
  expect(await git(['diff-files', '--name-only'], dir)).toBe('');
  expect(await git(['status', '--porcelain', '--ignored'], dir)).toBe('');
  await rm(fresh, { recursive: true, force: true });
}

it.each(ENGINES)(
  '%s: after pushes, the prepared checkout is brought to the new commit in place, exactly as git checks it out, and nothing is written through a link',
  async (engine) => {
    const before = await push(
      `${engine}-old`,
      async (work) => {
        await symlink(outside, join(work, 'escape'));
        await mkdir(join(work, 'was-dir', 'inner'), { recursive: true });
        await writeFile(join(work, 'was-dir', 'inner', 'a.txt'), 'a\n');
        await writeFile(join(work, 'was-file'), 'a file\n');
        await writeFile(join(work, 'tool.sh'), '#!/bin/sh\necho tool\n');
        await chmod(join(work, 'tool.sh'), 0o755);
        await writeFile(join(work, 'script.sh'), '#!/bin/sh\necho script\n');
        await writeFile(join(work, 'changed.txt'), 'before\n');
        await writeFile(join(work, 'gone.txt'), 'going\n');
        await symlink('changed.txt', join(work, 'pointer'));
        await writeFile(join(work, 'Readme.md'), 'case\n');
      },
      false,
      async (work) => {
        // Submodules: a commit recorded in the tree, an empty folder in the work tree.
        await git(['update-index', '--add', '--cacheinfo', `160000,${'a'.repeat(40)},mod-gone`], work);
        await git(['update-index', '--add', '--cacheinfo', `160000,${'b'.repeat(40)},mod-to-file`], work);
      },
    );
    const { run, lines } = cacheFor(engine, 'hostile');
    const first = await run();
    expect(first.head).toBe(before);
    expect(await git(['ls-files', '-s', 'mod-gone'], first.dir)).toBe(`160000 ${'a'.repeat(40)} 0\tmod-gone`);

    const after = await push(
      `${engine}-new`,
      async (work) => {
        await rm(join(work, 'escape'));
        await mkdir(join(work, 'escape'));
        await writeFile(join(work, 'escape', 'pwned.txt'), 'written through the link\n');
        await rm(join(work, 'was-dir'), { recursive: true });
        await writeFile(join(work, 'was-dir'), 'now a file\n');
        await rm(join(work, 'was-file'));
        await mkdir(join(work, 'was-file', 'deep', 'er'), { recursive: true });
        await writeFile(join(work, 'was-file', 'deep', 'er', 'x.txt'), 'x\n');
        await chmod(join(work, 'tool.sh'), 0o644);
        await chmod(join(work, 'script.sh'), 0o755);
        await writeFile(join(work, 'changed.txt'), 'after\n');
        await rm(join(work, 'gone.txt'));
        await rm(join(work, 'pointer'));
        await symlink('tool.sh', join(work, 'pointer'));
        await rm(join(work, 'Readme.md'));
        await writeFile(join(work, 'README-new.md'), 'new\n');
        await rm(join(work, 'mod-to-file'), { recursive: true });
        await writeFile(join(work, 'mod-to-file'), 'a file now\n');
      },
      false,
      async (work) => {
        await git(['update-index', '--force-remove', 'mod-gone'], work);
        await git(['update-index', '--add', '--cacheinfo', `160000,${'c'.repeat(40)},deep/mod-new`], work);
      },
    );
    const second = await run();
    expect(second).toMatchObject({ head: after, prepared: true, advancedFrom: before });
    await expectCloneOfServer(second.dir, `${engine}-hostile`);
    expect(await git(['ls-files', '-s', 'deep/mod-new', 'mod-gone'], second.dir)).toBe(
      `160000 ${'c'.repeat(40)} 0\tdeep/mod-new`,
    );
    expect(await readdir(outside)).toEqual([]);
    expect(lines.some((l) => l.includes('prepared checkout advanced'))).toBe(true);

    // A force-push to an unrelated history: still the server's tree exactly.
    const rewritten = await push(
      `${engine}-forced`,
      async (work) => {
        await git(['checkout', '-q', '--orphan', 'fresh'], work);
        await git(['rm', '-rq', '--cached', '.'], work);
        for (const name of await readdir(work)) if (name !== '.git') await rm(join(work, name), { recursive: true });
        await writeFile(join(work, 'only.txt'), 'a new history\n');
      },
      true,
    );
    const third = await run();
    expect(third).toMatchObject({ head: rewritten, prepared: true, advancedFrom: after });
    await expectCloneOfServer(third.dir, `${engine}-forced`);
  },
);

it('a checkout that cannot be brought forward is not used: the run gets a full copy, as good as ever', async () => {
  const { run, lines } = cacheFor('isomorphic-git', 'fallback', 'failing-advance');
  await run();
  const head = await push('fallback', async (work) => writeFile(join(work, 'more.txt'), 'more\n'));
  const next = await run();
  expect(next).toMatchObject({ head, prepared: false });
  expect(lines.some((l) => l.includes('could not use the prepared checkout') && l.includes('advance broke'))).toBe(
    true,
  );
  await expectCloneOfServer(next.dir, 'fallback');
});

it('past its bound of changed paths it changes nothing, and the caller checks out afresh', async () => {
  const repo = join(root, 'bound');
  await git(['init', '-q', '-b', 'main', repo]);
  for (const name of ['a', 'b', 'c']) await writeFile(join(repo, name), `${name}\n`);
  await git(['add', '-A'], repo);
  await git(['commit', '-q', '-m', 'A'], repo);
  const from = await git(['rev-parse', 'HEAD'], repo);
  for (const name of ['a', 'b', 'c', 'd', 'e']) await writeFile(join(repo, name), `${name} changed\n`);
  await git(['add', '-A'], repo);
  await git(['commit', '-q', '-m', 'B'], repo);
  const to = await git(['rev-parse', 'HEAD'], repo);
  await git(['repack', '-a', '-d', '-q'], repo);

  const dir = join(root, 'bound-ws');
  await git(['init', '-q', '-b', 'main', dir]);
  const packs = openPackSet(join(repo, '.git', 'objects', 'pack'));
  try {
    const signal = new AbortController().signal;
    const gitdir = join(dir, '.git');
    await checkoutFromPack({ dir, gitdir, reader: packs, commit: from, signal, onProgress: () => undefined });
    const before = { files: await treeOf(dir), index: await readFile(join(gitdir, 'index')) };
    const job = { dir, gitdir, reader: packs, from, to, signal };
    await expect(advanceCheckout({ ...job, maxChanges: 7 })).rejects.toBeInstanceOf(TooManyChanges);
    expect(await treeOf(dir)).toEqual(before.files);
    expect(await readFile(join(gitdir, 'index'))).toEqual(before.index);

    expect(await advanceCheckout({ ...job, maxChanges: 8 })).toEqual({ removed: 3, written: 5 });
    await git(['fetch', '-q', repo, 'main'], dir);
    await git(['update-ref', 'HEAD', to], dir);
    expect(await git(['status', '--porcelain'], dir)).toBe('');
    expect(await git(['diff-files', '--name-only'], dir)).toBe('');
    expect(await readFile(join(dir, 'e'), 'utf8')).toBe('e changed\n');
  } finally {
    packs.close();
  }
});
