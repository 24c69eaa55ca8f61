import * as nodeFs from 'node:fs';
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { Logger } from '../../platform/logger';
import { checkoutFromPack, parseTree } from './checkout';
import { peel } from './isomorphic-clone';
import { cancelledError, mapIsomorphicError } from './errors';
import { isSafeBranchName } from './host-git';
import type { MirrorStore } from './mirror';
import type { MirrorOps, MirrorUpdate } from './mirror-ops';
import { useNativeZlibForIsomorphicGit } from './native-zlib';
import { PackFormatError } from './pack-format';
import { openPackSet, type PackSet } from './pack-set';
import { tapUploadPack } from './pack-tap';
import { undiciHttpClient } from './undici-http';

/**
 * The clone cache's steps on the isomorphic-git path (for when git is not installed or the user
 * chose the built-in clone): the same bare mirrors as the git path (mirror.ts), filled and brought
 * up to date by isomorphic-git's fetch with the pack streamed to disk by our indexer (pack-tap.ts),
 * and each run's workspace made by copying the mirror's pack and index files (copies: never hard
 * links, no alternates), writing the refs a clone writes, and checking out with checkout.ts.
 *
 * The mirror's config gains one line, the fetch refspec isomorphic-git reads to know where GitLab's
 * branches go (`+refs/heads/*:refs/heads/*`); the URL is passed per fetch and credentials travel
 * only in the Authorization header, so neither is ever written into the mirror.
 */
export interface IsomorphicMirrorDeps {
  mirrors: MirrorStore;
  logger: Logger;
  /** Inflate with Node's zlib instead of pako (default true; see native-zlib.ts). */
  nativeZlib?: boolean;
}

const REMOTE = 'origin';
const REFSPEC = '+refs/heads/*:refs/heads/*';

export function createIsomorphicMirrorOps(deps: IsomorphicMirrorDeps): MirrorOps {
  const log = deps.logger.child({ service: 'clone-cache-isomorphic' });

  return {
    engine: 'isomorphic-git',
    available: async () => true,

    async update(mirror, req) {
      await update(mirror.gitDir, req);
    },

    async commitOf(mirror, branch) {
      if (!isSafeBranchName(branch)) return undefined;
      for (const ref of [`refs/heads/${branch}`, `refs/tags/${branch}`]) {
        const oid = await git.resolveRef({ fs: nodeFs, gitdir: mirror.gitDir, ref }).catch(() => undefined);
        if (oid) return withPacks(mirror.gitDir, (packs) => peel(packs, oid));
      }
      return undefined;
    },

    async attributes(mirror, commit) {
      return withPacks(mirror.gitDir, (packs) => {
        const entry = parseTree(packs.read(treeOf(packs, commit)).data).find((e) => e.name === '.gitattributes');
        if (!entry || entry.mode === 0o40000) return '';
        const blob = packs.read(entry.oid.toString('hex'));
        return blob.type === 'blob' ? blob.data.toString('utf8') : '';
      });
    },

    async copy(mirror, dir, options) {
      if (options.depth !== undefined) throw new Error('the isomorphic-git cache makes full copies only');
      const started = Date.now();
      await copyInto(mirror.gitDir, dir, options.url, options.branch, options.signal);
      log.debug('mirror copied', { gitDir: mirror.gitDir, ms: Date.now() - started });
    },

    async compact(mirror, maxPacks, req) {
      const packs = await mirror.exclusive(async () =>
        (await readdir(join(mirror.gitDir, 'objects', 'pack'))).filter((n) => n.endsWith('.pack')),
      );
      if (packs.length <= maxPacks) return;
      // Writing one pack from many would inflate and deflate every object; fetching the project
      // afresh gives git's own packing, from GitLab, at the cost of one full fetch now and then.
      const started = Date.now();
      await deps.mirrors.discard(mirror.gitDir);
      await mirror.exclusive(() => update(mirror.gitDir, req));
      log.info('clone cache refetched to compact it', {
        gitDir: mirror.gitDir,
        packs: packs.length,
        ms: Date.now() - started,
      });
    },

    isNetworkFailure(error) {
      const mapped =
        error instanceof CospecError ? error : mapIsomorphicError(error, { url: 'https://gitlab.invalid/' });
      return NETWORK_CODES.has(mapped.code);
    },
  };

  async function update(gitDir: string, req: MirrorUpdate): Promise<void> {
    // Set on first use, not at start: the swap is global to isomorphic-git in this thread.
    if (deps.nativeZlib ?? true) useNativeZlibForIsomorphicGit();
    const fs = nodeFs;
    const config = await readFile(join(gitDir, 'config'), 'utf8');
    if (!config.includes(`fetch = ${REFSPEC}`))
      await git.setConfig({ fs, gitdir: gitDir, path: `remote.${REMOTE}.fetch`, value: REFSPEC });
    const http = undiciHttpClient({ ...(req.dispatcher ? { dispatcher: req.dispatcher } : {}), signal: req.signal });
    // The pack goes to our streaming indexer, straight into the mirror's pack folder.
    const tap = tapUploadPack(
      http,
      () => join(gitDir, 'objects', 'pack'),
      () => {
        if (req.signal?.aborted) throw cancelledError();
      },
    );
    const started = Date.now();
    try {
      let asked: Promise<{ username: string; password: string }> | undefined;
      await git.fetch({
        fs,
        http: tap.http,
        gitdir: gitDir,
        url: req.fetchUrl,
        remote: REMOTE,
        tags: true,
        prune: true,
        // Drops every tag first and writes GitLab's: moved and deleted tags follow too.
        pruneTags: true,
        onAuth: async () => {
          asked ??= req.access().then(({ username, password }) => ({ username, password }));
          return asked;
        },
        // A second ask means the token was refused: fail rather than loop.
        onAuthFailure: () => ({ cancel: true }),
      });
      const pack = tap.result();
      // Nothing new on GitLab: the server still sends a pack, of no objects; it is not kept.
      if (pack && pack.objects === 0) {
        pack.close();
        await rm(pack.packPath, { force: true });
        await rm(pack.idxPath, { force: true });
      }
    } catch (error) {
      const e = error as { code?: unknown };
      if (e?.code === 'UserCanceledError')
        throw Object.assign(new Error('HTTP Error: 401 Unauthorized'), {
          code: 'HttpError',
          data: { statusCode: 401 },
        });
      throw error;
    } finally {
      tap.close();
    }
    // isomorphic-git also records GitLab's HEAD as a remote-tracking symref: not a mirror's.
    await rm(join(gitDir, 'refs', 'remotes', REMOTE, 'HEAD'), { force: true });
    await rmdir(join(gitDir, 'refs', 'remotes', REMOTE)).catch(() => undefined);
    await rmdir(join(gitDir, 'refs', 'remotes')).catch(() => undefined);
    if (isSafeBranchName(req.defaultBranch)) {
      const head = `ref: refs/heads/${req.defaultBranch}\n`;
      if ((await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => '')) !== head)
        await writeFile(join(gitDir, 'HEAD'), head);
    }
    log.debug('mirror fetched', { gitDir, ms: Date.now() - started });
  }
}

/** mapIsomorphicError's codes for GitLab or the way to it failing, not the mirror. */
const NETWORK_CODES = new Set([
  'CANCELLED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'PROXY_ERROR',
  'RATE_LIMITED',
  'SERVER_ERROR',
  'DNS_FAILURE',
  'CONNECTION_REFUSED',
  'CONNECTION_TIMEOUT',
  'CONNECTION_RESET',
  'TLS_CERT_EXPIRED',
  'TLS_HOSTNAME_MISMATCH',
  'TLS_UNKNOWN_CA',
  'TLS_ERROR',
]);

async function withPacks<T>(gitDir: string, work: (packs: PackSet) => T): Promise<T> {
  const packs = openPackSet(join(gitDir, 'objects', 'pack'));
  try {
    return work(packs);
  } finally {
    packs.close();
  }
}

function treeOf(packs: PackSet, commit: string): string {
  const object = packs.read(commit);
  const tree =
    object.type === 'commit' ? /^tree ([0-9a-f]{40})\n/.exec(object.data.toString('latin1', 0, 46))?.[1] : '';
  if (!tree) throw new PackFormatError(`${commit} is not a commit.`);
  return tree;
}

/** A ref's line in packed-refs, or undefined for names git would not accept. */
const packedLine = (oid: string, ref: string) => (/^[0-9a-f]{40}$/.test(oid) ? `${oid} ${ref}\n` : undefined);

/**
 * The workspace as isomorphic-git's clone (isomorphic-clone.ts) makes it: init, origin, every
 * branch as origin's, every tag, the branch checked out (tracking origin's) or a tag's commit
 * detached. The objects are copies of the mirror's packs (a reflink where the file system offers
 * one, else a byte copy: a write in the workspace never reaches the mirror either way).
 */
async function copyInto(gitDir: string, dir: string, url: string, branch: string, signal?: AbortSignal) {
  const fs = nodeFs;
  const check = () => {
    if (signal?.aborted) throw cancelledError();
  };
  const workGitDir = join(dir, '.git');
  await git.init({ fs, dir });
  await git.addRemote({ fs, dir, remote: 'origin', url });

  const from = join(gitDir, 'objects', 'pack');
  const to = join(workGitDir, 'objects', 'pack');
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) {
    if (!/^pack-[0-9a-f]{40}\.(pack|idx)$/.test(name)) continue;
    check();
    await copyFile(join(from, name), join(to, name), constants.COPYFILE_FICLONE);
  }

  const branches = await git.listBranches({ fs, gitdir: gitDir });
  const tags = await git.listTags({ fs, gitdir: gitDir });
  const lines: string[] = [];
  let checkedOut: { ref?: string; oid: string } | undefined;
  for (const name of branches) {
    const oid = await git.resolveRef({ fs, gitdir: gitDir, ref: `refs/heads/${name}` });
    const line = packedLine(oid, `refs/remotes/origin/${name}`);
    if (line) lines.push(line);
    if (name === branch) checkedOut = { ref: name, oid };
  }
  for (const name of tags) {
    const oid = await git.resolveRef({ fs, gitdir: gitDir, ref: `refs/tags/${name}` });
    const line = packedLine(oid, `refs/tags/${name}`);
    if (line) lines.push(line);
    if (!checkedOut && name === branch) checkedOut = { oid };
  }
  if (!checkedOut) throw new PackFormatError(`The mirror has no branch or tag ${branch}.`);
  // Sorted by name, as git writes packed-refs; no peeled lines, so git peels tags itself.
  lines.sort((a, b) => Buffer.compare(Buffer.from(a.slice(41)), Buffer.from(b.slice(41))));
  await writeFile(join(workGitDir, 'packed-refs'), `# pack-refs with: sorted \n${lines.join('')}`);
  const mirrorHead = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
  const defaultBranch = /^ref: refs\/heads\/(\S+)$/.exec(mirrorHead)?.[1];
  if (defaultBranch && branches.includes(defaultBranch)) {
    await mkdir(join(workGitDir, 'refs', 'remotes', 'origin'), { recursive: true });
    await writeFile(
      join(workGitDir, 'refs', 'remotes', 'origin', 'HEAD'),
      `ref: refs/remotes/origin/${defaultBranch}\n`,
    );
  }

  const packs = openPackSet(to);
  try {
    const commit = peel(packs, checkedOut.oid);
    if (checkedOut.ref) {
      const ref = checkedOut.ref;
      await git.writeRef({ fs, dir, ref: `refs/heads/${ref}`, value: checkedOut.oid, force: true });
      await git.setConfig({ fs, dir, path: `branch.${ref}.remote`, value: 'origin' });
      await git.setConfig({ fs, dir, path: `branch.${ref}.merge`, value: `refs/heads/${ref}` });
      await git.writeRef({ fs, dir, ref: 'HEAD', value: `refs/heads/${ref}`, symbolic: true, force: true });
    } else {
      await git.writeRef({ fs, dir, ref: 'HEAD', value: commit, force: true });
    }
    check();
    await checkoutFromPack({
      dir,
      gitdir: workGitDir,
      reader: packs,
      commit,
      signal: signal ?? new AbortController().signal,
      onProgress: () => undefined,
    });
  } finally {
    packs.close();
  }
}
