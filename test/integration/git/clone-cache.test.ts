import { lstat, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloneCache, type CachedCloneRequest, type CloneCache } from '../../../src-main/services/git/clone-cache';
import { createMirrorStore, type MirrorStore } from '../../../src-main/services/git/mirror';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { git, scratchDir } from './support/repos';
import { ENGINES, credentialsOf, filesContaining, serviceWithLog, standInCacheRequest } from './support/harness';

/**
 * The per-project clone cache against the GitLab stand-in, on both clone paths (the user's git and
 * isomorphic-git fill, update and copy the cache, and clone directly when it cannot serve): the
 * first run fills it, a repeat run copies from it after an incremental fetch (no pack comes when
 * nothing changed), GitLab's force-pushes and deletions show in the next workspace, a damaged
 * cache is discarded and the run clones from GitLab, and the workspace is what a clone from GitLab
 * gives, with nothing in it that leads back to the cache. Real git checks every result.
 */
let gitlab: StandIn;
let root: string;

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  root = await scratchDir('clone-cache-');
});

afterAll(async () => {
  await gitlab?.close();
  await rm(root, { recursive: true, force: true });
});

const PROJECT = 'acme/web-app';
const uploadPacks = () => gitlab.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git-upload-pack'));
/** The packs in a repository's object store (each fetch that received objects adds one). */
const packsIn = async (gitDir: string) =>
  (await readdir(join(gitDir, 'objects', 'pack')).catch(() => [] as string[])).filter((p) => p.endsWith('.pack'));

/** The refs a workspace has, as `git for-each-ref` lists them (names and commits). */
const refsOf = (dir: string) => git(['for-each-ref', '--format=%(refname) %(objectname)'], dir);
const serverRefs = async () =>
  (
    await git([
      '--git-dir',
      gitlab.repoDir(PROJECT),
      'for-each-ref',
      '--format=%(refname) %(objectname)',
      'refs/heads',
      'refs/tags',
    ])
  )
    .split('\n')
    .filter(Boolean)
    .map((l) => l.replace(/^refs\/heads\//, 'refs/remotes/origin/'))
    .sort();
const workspaceRemoteRefs = async (dir: string) =>
  (await refsOf(dir))
    .split('\n')
    .filter((l) => /^refs\/(remotes\/origin\/(?!HEAD )|tags\/)/.test(l))
    .sort();

/** A push to the stand-in's repository from a scratch clone (as another user's push would land). */
async function serverCommits(branch: string, count: number, tag: string): Promise<void> {
  const work = join(root, `push-${tag}`);
  await git(['clone', '-q', '--branch', branch, gitlab.repoDir(PROJECT), work]);
  for (let i = 0; i < count; i++) {
    await writeFile(join(work, `new-${tag}-${i}.txt`), `${tag} ${i}\n`);
    await git(['add', '.'], work);
    await git(['commit', '-q', '-m', `${tag} ${i}`], work);
  }
  await git(['push', '-q', 'origin', `HEAD:refs/heads/${branch}`], work);
  await rm(work, { recursive: true, force: true });
}

describe.each(ENGINES)('clone cache on the %s path', (engine) => {
  let mirrors: MirrorStore;
  let cache: CloneCache;
  let logLines: string[];
  let n = 0;
  const { service } = serviceWithLog();

  beforeAll(async () => {
    const sink = memorySink();
    logLines = sink.lines;
    const logger = createLogger({ level: 'debug', sinks: [sink] });
    mirrors = createMirrorStore({ root: join(root, `${engine}-mirrors`), logger });
    cache = createCloneCache({ mirrors, logger, maxBytes: () => 5 * 1024 ** 3 });
  });

  const request = (over: Partial<CachedCloneRequest> = {}): CachedCloneRequest => {
    const { token, username } = gitlab.user('cospec-bot');
    return {
      key: { accountId: 'acc-1', projectId: 1 },
      fetchUrl: `${gitlab.url}/${PROJECT}.git`,
      url: `${gitlab.url}/${PROJECT}.git`,
      dir: join(root, `${engine}-ws-${++n}`),
      branch: 'main',
      defaultBranch: 'main',
      access: async () => ({ username, password: token }),
      engine,
      ...over,
    };
  };
  const run = (req: CachedCloneRequest) =>
    cache.cloneOr(req, () =>
      service.clone({
        url: req.url,
        dir: req.dir,
        branch: req.branch,
        engine,
        credentials: credentialsOf(gitlab.user('cospec-bot').token, 'cospec-bot'),
      }),
    );
  const mirrorDir = async () => (await mirrors.open({ accountId: 'acc-1', projectId: 1 })).gitDir;

  it('the first run fills the cache; the workspace is what a clone from GitLab gives', async () => {
    const req = request();
    const made = await run(req);
    expect(made.cached).toBe(true);
    expect(await packsIn(await mirrorDir())).toHaveLength(1);
    // Filled and copied by this path's own steps (isomorphic-git's on its worker thread, as a clone;
    // the first fetch is the fill).
    expect(logLines.find((l) => l.includes('workspace made from the clone cache'))).toContain(`"engine":"${engine}"`);
    if (engine === 'isomorphic-git') {
      for (const step of ['mirror fetched', 'mirror copied'])
        expect(logLines.find((l) => l.includes(step))).toContain('"worker":true');
      // The copy's worker was started during the fetch, and the copy says where its time went.
      const copied = JSON.parse(logLines.find((l) => l.includes('mirror copied')) as string) as Record<string, unknown>;
      expect(copied).toMatchObject({ standby: true, checkoutMs: expect.any(Number), workerMs: expect.any(Number) });
    }

    const fresh = join(root, `${engine}-fresh`);
    await service.clone({
      url: req.url,
      dir: fresh,
      branch: 'main',
      engine: 'git',
      credentials: credentialsOf(gitlab.user('cospec-bot').token, 'cospec-bot'),
    });
    expect(made.head).toBe(await git(['rev-parse', 'HEAD'], fresh));
    expect(await refsOf(req.dir)).toBe(await refsOf(fresh));
    for (const key of ['remote.origin.url', 'remote.origin.fetch', 'branch.main.remote', 'branch.main.merge'])
      expect(await git(['config', key], req.dir)).toBe(await git(['config', key], fresh));
    expect(await git(['symbolic-ref', 'refs/remotes/origin/HEAD'], req.dir)).toBe('refs/remotes/origin/main');
    expect(await git(['status', '--porcelain'], req.dir)).toBe('');
    expect(await git(['fsck', '--connectivity-only', '--no-dangling'], req.dir)).toBe('');
  });

  it('nothing in the workspace leads back to the cache: no alternates, no hard links, no path', async () => {
    const req = request();
    await run(req);
    const gitDir = await mirrorDir();
    expect(await lstat(join(req.dir, '.git', 'objects', 'info', 'alternates')).catch(() => undefined)).toBeUndefined();
    const packs = await readdir(join(req.dir, '.git', 'objects', 'pack'));
    expect(packs.length).toBeGreaterThan(0);
    for (const p of packs) expect((await lstat(join(req.dir, '.git', 'objects', 'pack', p))).nlink).toBe(1);
    expect(await filesContaining(req.dir, gitDir)).toEqual([]);
    expect(await filesContaining(req.dir, 'git-mirrors')).toEqual([]);
    expect(await filesContaining(req.dir, gitlab.user('cospec-bot').token)).toEqual([]);
    // Nor in the cache itself: credentials go to the fetch, never into the mirror's config.
    expect(await filesContaining(gitDir, gitlab.user('cospec-bot').token)).toEqual([]);
    expect(logLines.join('\n')).not.toContain(gitlab.user('cospec-bot').token);
  });

  it('a repeat run with nothing new on GitLab asks for no pack at all', async () => {
    const adverts = () => gitlab.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/info/refs')).length;
    const before = uploadPacks().length;
    const advertsBefore = adverts();
    const packs = await packsIn(await mirrorDir());
    const made = await run(request());
    expect(made.cached).toBe(true);
    // The advertisement (a GET) showed nothing new, so no upload-pack request at all (on the git
    // path not even git's own fetch, whose protocol v2 ref listing is a POST).
    expect(uploadPacks().length - before).toBe(0);
    expect(adverts()).toBeGreaterThan(advertsBefore);
    expect(await packsIn(await mirrorDir())).toEqual(packs);
  });

  it('new commits, a force-push, deleted branches and tags on GitLab all show in the next workspace', async () => {
    const bare = gitlab.repoDir(PROJECT);
    await serverCommits('main', 5, `${engine}-a`);
    // A branch, a tag, then: the branch deleted, the tag deleted, another branch force-pushed back.
    await git(['--git-dir', bare, 'branch', `gone-${engine}`, 'main~3']);
    await git(['--git-dir', bare, 'branch', `forced-${engine}`, 'main']);
    await git(['--git-dir', bare, 'tag', `old-tag-${engine}`, 'main~1']);
    const warm = await run(request());
    expect(warm.cached).toBe(true);
    expect(await refsOf(join(root, `${engine}-ws-${n}`))).toContain(`refs/remotes/origin/gone-${engine}`);

    await git(['--git-dir', bare, 'branch', '-D', `gone-${engine}`]);
    await git(['--git-dir', bare, 'tag', '-d', `old-tag-${engine}`]);
    await git(['--git-dir', bare, 'update-ref', `refs/heads/forced-${engine}`, 'main~4']);
    await git(['--git-dir', bare, 'update-ref', 'refs/heads/main', 'main~2']);
    const req = request();
    const packs = await packsIn(await mirrorDir());
    const made = await run(req);
    expect(made.cached).toBe(true);
    // Only rewound refs: everything is in the cache already, no pack is sent.
    expect(await packsIn(await mirrorDir())).toEqual(packs);
    expect(made.head).toBe(await git(['--git-dir', bare, 'rev-parse', 'main']));
    expect(await workspaceRemoteRefs(req.dir)).toEqual(await serverRefs());
    expect(await git(['status', '--porcelain'], req.dir)).toBe('');

    // And new history after the rewind is fetched incrementally: one small pack.
    await serverCommits('main', 3, `${engine}-b`);
    const again = request();
    const made2 = await run(again);
    expect(made2.cached).toBe(true);
    const added = (await packsIn(await mirrorDir())).filter((p) => !packs.includes(p));
    expect(added).toHaveLength(1);
    // Incremental: the new pack holds the 3 commits' objects, not the project's history again.
    const listing = await git(['verify-pack', '-v', join(await mirrorDir(), 'objects', 'pack', added[0] as string)]);
    const objects = listing.split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).length;
    expect(objects).toBeGreaterThan(0);
    expect(objects).toBeLessThan(20);
    expect(made2.head).toBe(await git(['--git-dir', bare, 'rev-parse', 'main']));
    expect(await workspaceRemoteRefs(again.dir)).toEqual(await serverRefs());
  });

  it('an LFS project is cloned directly, with the same files a clone from GitLab gives, and says so', async () => {
    // The stand-in serves no LFS objects (tools/gitlab-standin/README.md): the project holds a
    // pointer file and the filter=lfs rule, which is what the cache must notice from the mirror.
    const branch = `lfs-${engine}`;
    const work = join(root, `push-${branch}`);
    await git(['clone', '-q', '--branch', 'main', gitlab.repoDir(PROJECT), work]);
    await writeFile(join(work, '.gitattributes'), '*.bin filter=lfs diff=lfs merge=lfs -text\n');
    await writeFile(
      join(work, 'model.bin'),
      'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 12345\n',
    );
    await git(['add', '.'], work);
    await git(['commit', '-q', '-m', 'track binaries with LFS'], work);
    await git(['push', '-q', 'origin', `HEAD:refs/heads/${branch}`], work);
    await rm(work, { recursive: true, force: true });

    const req = request({ branch });
    let directs = 0;
    const made = await cache.cloneOr(req, () => {
      directs++;
      return service.clone({
        url: req.url,
        dir: req.dir,
        branch,
        engine,
        credentials: credentialsOf(gitlab.user('cospec-bot').token, 'cospec-bot'),
      });
    });
    expect(made.cached).toBe(false);
    expect(directs).toBe(1);
    expect(logLines.some((l) => l.includes('Git LFS') && l.includes('cloning directly'))).toBe(true);

    const fresh = join(root, `${engine}-lfs-fresh`);
    const direct = await service.clone({
      url: req.url,
      dir: fresh,
      branch,
      engine,
      credentials: credentialsOf(gitlab.user('cospec-bot').token, 'cospec-bot'),
    });
    expect(made.head).toBe(direct.head);
    const files = (dir: string) => git(['ls-files', '-s'], dir);
    expect(await files(req.dir)).toBe(await files(fresh));
    for (const f of ['.gitattributes', 'model.bin'])
      expect(await readFile(join(req.dir, f), 'utf8')).toBe(await readFile(join(fresh, f), 'utf8'));
    // No refill for a project the cache does not serve; main is still served from the cache.
    await cache.settled();
    expect((await run(request())).cached).toBe(true);
  });

  it('a truncated pack is detected: the cache is discarded, the run clones from GitLab, the cache is refilled', async () => {
    const gitDir = await mirrorDir();
    const packDir = join(gitDir, 'objects', 'pack');
    const pack = (await readdir(packDir)).find((p) => p.endsWith('.pack')) as string;
    const { size } = await lstat(join(packDir, pack));
    await truncate(join(packDir, pack), Math.floor(size / 2));
    const req = request();
    const made = await run(req);
    expect(made.cached).toBe(false);
    expect(made.head).toBe(await git(['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', 'main']));
    expect(await git(['fsck', '--connectivity-only', '--no-dangling'], req.dir)).toBe('');
    expect(logLines.some((l) => l.includes('clone cache damaged'))).toBe(true);
    await cache.settled();
    expect(await (await mirrors.open({ accountId: 'acc-1', projectId: 1 })).damage()).toBeUndefined();
    expect((await run(request())).cached).toBe(true);
  });

  it('a damaged ref is detected the same way', async () => {
    const gitDir = await mirrorDir();
    await writeFile(join(gitDir, 'refs', 'heads', 'main'), 'not an object id\n');
    const made = await run(request());
    expect(made.cached).toBe(false);
    await cache.settled();
    const repeat = request();
    expect((await run(repeat)).cached).toBe(true);
    expect(await git(['status', '--porcelain'], repeat.dir)).toBe('');
  });

  it('clear empties the cache, also while a run is copying from it; the next run refills it', async () => {
    expect((await cache.stats()).projects).toBe(1);
    const req = request();
    const [made, cleared] = await Promise.all([run(req), cache.clear()]);
    expect(made.head).toBe(await git(['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', 'main']));
    expect(await git(['status', '--porcelain'], req.dir)).toBe('');
    await cache.settled();
    const after = await cache.stats();
    expect(cleared.projects + after.projects).toBeLessThanOrEqual(1);
    await cache.clear();
    expect((await cache.stats()).projects).toBe(0);
    expect((await run(request())).cached).toBe(true);
    expect((await cache.stats()).projects).toBe(1);
  });

  it('stays under its size bound, least recently used project first', async () => {
    let max = 5 * 1024 ** 3;
    const logger = createLogger({ sinks: [memorySink()] });
    const small = createCloneCache({ mirrors, logger, maxBytes: () => max });
    await small.clear();
    await small.cloneOr(request({ key: { accountId: 'acc-1', projectId: 1 } }), () => Promise.reject(new Error('x')));
    await new Promise((r) => setTimeout(r, 20));
    await small.cloneOr(request({ key: { accountId: 'acc-1', projectId: 2 } }), () => Promise.reject(new Error('x')));
    await small.settled();
    const both = await small.stats();
    expect(both.projects).toBe(2);
    max = Math.floor(both.bytes * 0.75);
    await small.cloneOr(request({ key: { accountId: 'acc-1', projectId: 2 } }), () => Promise.reject(new Error('x')));
    await small.settled();
    const usage = await mirrors.usage();
    const big = usage.filter((u) => u.filled).map((u) => u.key?.projectId);
    expect(big).toEqual([2]);
    expect((await small.stats()).bytes).toBeLessThanOrEqual(max);
  });
});

// Keeps the file's helpers honest about what a workspace's reflog says.
it('the reflog and origin of a cached workspace name GitLab, as a clone would', async () => {
  const logger = createLogger({ sinks: [memorySink()] });
  const mirrors = createMirrorStore({ root: join(root, 'reflog-mirrors'), logger });
  const cache = createCloneCache({ mirrors, logger, maxBytes: () => 5 * 1024 ** 3 });
  const dir = join(root, 'reflog-ws');
  const made = await cache.clone(
    standInCacheRequest(gitlab, PROJECT, {
      key: { accountId: 'acc-r', projectId: 7 },
      dir,
    }),
  );
  expect(made).toBeDefined();
  expect(await readFile(join(dir, '.git', 'logs', 'HEAD'), 'utf8')).toContain(
    `clone: from ${gitlab.url}/${PROJECT}.git`,
  );

  // origin is GitLab's URL, written into the copy's config without a git process where the value is
  // plain, and by `git config` where git would quote or escape it: git reads back the same either way.
  const mirror = await mirrors.open({ accountId: 'acc-r', projectId: 7 });
  const odd = 'https://gitlab.example/a b;c#d\\e"f.git';
  for (const [name, url] of [
    ['plain', `${gitlab.url}/${PROJECT}.git`],
    ['odd', odd],
  ] as const) {
    const copy = join(root, `origin-ws-${name}`);
    await mirror.exclusive(() => mirror.cloneInto(copy, { url, branch: 'main', checkout: false }));
    expect(await git(['config', '--get-all', 'remote.origin.url'], copy)).toBe(url);
    expect(await git(['config', 'remote.origin.fetch'], copy)).toBe('+refs/heads/*:refs/remotes/origin/*');
    expect(await git(['config', 'branch.main.remote'], copy)).toBe('origin');
    const config = await lstat(join(copy, '.git', 'config'));
    expect(config.mode & 0o077).toBe(0);
    expect(await readdir(join(copy, '.git'))).not.toContain('config.lock');
    expect(await filesContaining(copy, mirror.gitDir)).toEqual([]);
  }
});

it.each(ENGINES)(
  '%s: packs that pile up from fetches are made one again, and the next run copies from it',
  async (engine) => {
    const logger = createLogger({ sinks: [memorySink()] });
    const mirrors = createMirrorStore({ root: join(root, `${engine}-repack-mirrors`), logger });
    const cache = createCloneCache({ mirrors, logger, maxBytes: () => 5 * 1024 ** 3, maxPacks: 2 });
    let i = 0;
    const clone = () =>
      cache.clone(
        standInCacheRequest(gitlab, PROJECT, {
          key: { accountId: 'acc-p', projectId: 8 },
          dir: join(root, `${engine}-repack-ws-${++i}`),
          engine,
        }),
      );
    const gitDir = (await mirrors.open({ accountId: 'acc-p', projectId: 8 })).gitDir;
    expect(await clone()).toBeDefined();
    for (const tag of [`${engine}-pk-a`, `${engine}-pk-b`]) {
      await serverCommits('main', 1, tag);
      expect(await clone()).toBeDefined();
      await cache.settled();
    }
    // Three fetches brought objects: three packs, over the limit of two, so one now (git repacks,
    // the isomorphic-git path fetches the project afresh).
    expect(await packsIn(gitDir)).toHaveLength(1);
    expect(await git(['--git-dir', gitDir, 'fsck', '--connectivity-only', '--no-dangling'])).toBe('');
    const made = await clone();
    expect(made?.head).toBe(await git(['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', 'main']));
    expect(await git(['status', '--porcelain'], join(root, `${engine}-repack-ws-${i}`))).toBe('');
  },
);

it.each(ENGINES)(
  '%s: once a run has ended, the next run gets a checkout prepared from the cache, never from a workspace',
  async (engine) => {
    const sink = memorySink();
    const logger = createLogger({ level: 'debug', sinks: [sink] });
    const mirrors = createMirrorStore({ root: join(root, `${engine}-prepared-mirrors`), logger });
    const cache = createCloneCache({ mirrors, logger, maxBytes: () => 5 * 1024 ** 3 });
    const dirOf = (n: number) => join(root, `${engine}-prepared-ws-${n}`);
    const made = async (n: number) => {
      const result = await cache.clone(
        standInCacheRequest(gitlab, PROJECT, {
          key: { accountId: 'acc-q', projectId: 9 },
          dir: dirOf(n),
          engine,
          // The run "ends" at once; the checkout for the next is prepared in the background.
          prepareAfter: Promise.resolve(),
        }),
      );
      const line = sink.lines.filter((l) => l.includes('workspace made from the clone cache')).at(-1) ?? '';
      return { head: result?.head, prepared: (JSON.parse(line) as { prepared: boolean }).prepared };
    };
    const serverHead = () => git(['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', 'main']);
    const gitDir = (await mirrors.open({ accountId: 'acc-q', projectId: 9 })).gitDir;
    const ready = join(`${gitDir}.checkout`, 'ready');
    const pristine = async (dir: string) => {
      expect(await git(['status', '--porcelain', '--ignored'], dir)).toBe('');
      // The index's stat data matches the files as they are: no refresh needed, nothing looks changed.
      expect(await git(['diff-files', '--name-only'], dir)).toBe('');
      expect(await git(['fsck', '--connectivity-only', '--no-dangling'], dir)).toBe('');
    };

    expect((await made(1)).prepared).toBe(false);
    await cache.settled();
    expect((await lstat(join(ready, 'meta.json'))).isFile()).toBe(true);
    const mirrorBytes = (await mirrors.usage()).find((u) => u.gitDir === gitDir)?.bytes ?? 0;
    expect((await cache.stats()).bytes).toBeGreaterThan(mirrorBytes);

    // The next run takes it: the same repository a clone from GitLab gives, files its own.
    const second = await made(2);
    expect(second).toEqual({ head: await serverHead(), prepared: true });
    expect(await lstat(ready).catch(() => undefined)).toBeUndefined();
    const fresh = join(root, `${engine}-prepared-fresh`);
    await git(['clone', '-q', '--branch', 'main', gitlab.repoDir(PROJECT), fresh]);
    expect(await git(['ls-files', '-s'], dirOf(2))).toBe(await git(['ls-files', '-s'], fresh));
    expect(await git(['symbolic-ref', 'HEAD'], dirOf(2))).toBe('refs/heads/main');
    expect(await git(['config', 'remote.origin.url'], dirOf(2))).toBe(`${gitlab.url}/${PROJECT}.git`);
    await pristine(dirOf(2));
    for (const file of (await git(['ls-files'], dirOf(2))).split('\n'))
      expect((await lstat(join(dirOf(2), file))).nlink).toBe(1);
    expect(await filesContaining(dirOf(2), 'git-mirrors')).toEqual([]);

    // What an agent does to its workspace never reaches the next one.
    const tracked = (await git(['ls-files'], dirOf(2))).split('\n')[0] as string;
    await writeFile(join(dirOf(2), tracked), 'written by the agent\n');
    await writeFile(join(dirOf(2), 'agent-was-here.txt'), 'x\n');
    await cache.settled();
    expect((await made(3)).prepared).toBe(true);
    await pristine(dirOf(3));
    expect(await readFile(join(dirOf(3), tracked), 'utf8')).toBe(await readFile(join(fresh, tracked), 'utf8'));

    // New commits on GitLab: the prepared checkout is at an older commit, brought to the new one
    // (prepared-advance.test.ts tries what a hostile push can do there).
    await cache.settled();
    await serverCommits('main', 1, `${engine}-prepared`);
    const fourth = await made(4);
    expect(fourth).toEqual({ head: await serverHead(), prepared: true });
    await pristine(dirOf(4));
    expect(sink.lines.some((l) => l.includes('prepared checkout advanced'))).toBe(true);

    // One changed since it was made is removed, never used.
    await cache.settled();
    await writeFile(join(ready, 'tree', tracked), 'changed in the cache\n');
    expect((await made(5)).prepared).toBe(false);
    expect(sink.lines.some((l) => l.includes('its files changed since it was made'))).toBe(true);
    await pristine(dirOf(5));

    // Clear takes it with the mirror.
    await cache.settled();
    expect((await lstat(join(ready, 'meta.json'))).isFile()).toBe(true);
    await cache.clear();
    expect(await lstat(`${gitDir}.checkout`).catch(() => undefined)).toBeUndefined();
    expect((await cache.stats()).bytes).toBeLessThan(mirrorBytes);
  },
);

it('a run ending as the app quits prepares nothing, and quitting does not wait for it', async () => {
  const logger = createLogger({ sinks: [memorySink()] });
  const mirrors = createMirrorStore({ root: join(root, 'quit-mirrors'), logger });
  const cache = createCloneCache({ mirrors, logger, maxBytes: () => 5 * 1024 ** 3 });
  let runEnded: () => void = () => undefined;
  const made = await cache.clone(
    standInCacheRequest(gitlab, PROJECT, {
      key: { accountId: 'acc-z', projectId: 10 },
      dir: join(root, 'quit-ws'),
      prepareAfter: new Promise<void>((resolve) => (runEnded = resolve)),
    }),
  );
  expect(made).toBeDefined();
  // A run that never ends does not hold quitting up either.
  await cache.dispose();
  runEnded();
  await cache.settled();
  const gitDir = (await mirrors.open({ accountId: 'acc-z', projectId: 10 })).gitDir;
  expect(await readdir(`${gitDir}.checkout`).catch(() => [] as string[])).toEqual([]);
});

it('over its bound, the checkouts prepared for later runs go before any mirror', async () => {
  let max = 5 * 1024 ** 3;
  const logger = createLogger({ sinks: [memorySink()] });
  const mirrors = createMirrorStore({ root: join(root, 'bound-mirrors'), logger });
  const cache = createCloneCache({ mirrors, logger, maxBytes: () => max });
  let n = 0;
  const clone = () =>
    cache.clone(
      standInCacheRequest(gitlab, PROJECT, {
        key: { accountId: 'acc-b', projectId: 11 },
        dir: join(root, `bound-ws-${++n}`),
        prepareAfter: Promise.resolve(),
      }),
    );
  expect(await clone()).toBeDefined();
  await cache.settled();
  const gitDir = (await mirrors.open({ accountId: 'acc-b', projectId: 11 })).gitDir;
  const ready = join(`${gitDir}.checkout`, 'ready');
  expect((await lstat(ready)).isDirectory()).toBe(true);
  const mirrorBytes = (await mirrors.usage()).find((u) => u.gitDir === gitDir)?.bytes ?? 0;
  const both = (await cache.stats()).bytes;
  // Room for the mirror, not for the mirror and a prepared checkout.
  max = Math.floor((mirrorBytes + both) / 2);
  expect(await clone()).toBeDefined();
  await cache.settled();
  expect(await lstat(ready).catch(() => undefined)).toBeUndefined();
  const after = await cache.stats();
  expect(after.projects).toBe(1);
  expect(after.bytes).toBeLessThanOrEqual(max);
});
