import * as nodeFs from 'node:fs';
import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import { stopwatch } from '../../platform/stopwatch';
import { checkoutFromPack } from './checkout';
import { mirrorMatchesServer } from './advertised-refs';
import { cancelledError } from './errors';
import { isSafeBranchName } from './host-git';
import { onAuthOnce, peel, unwrapCancel } from './isomorphic-clone';
import { PackFormatError } from './pack-format';
import { openPackSet, type PackSet } from './pack-set';
import { tapUploadPack } from './pack-tap';
import type { GitCredentials } from './types';

/**
 * The two heavy steps of the clone cache's isomorphic-git path (isomorphic-mirror.ts), run on the
 * isomorphic-git worker thread like a clone (isomorphic-worker.ts) so the app's main thread stays
 * responsive, or on the caller's thread when there is no worker.
 *
 * The mirror's config gains one line, the fetch refspec isomorphic-git reads to know where GitLab's
 * branches go (`+refs/heads/*:refs/heads/*`); the URL is passed per fetch and credentials travel
 * only in the Authorization header, so neither is ever written into the mirror.
 */

const REMOTE = 'origin';
const REFSPEC = '+refs/heads/*:refs/heads/*';

export interface MirrorFetch {
  gitDir: string;
  url: string;
  defaultBranch: string;
  http: HttpClient;
  credentials: () => Promise<GitCredentials>;
  signal: AbortSignal;
}

/**
 * Brings the mirror to GitLab's branches and tags exactly (forced, pruned, tags moved and deleted
 * too), the new objects in one pack written by our streaming indexer (pack-tap.ts); HEAD at the
 * default branch.
 */
export async function fetchMirror(job: MirrorFetch): Promise<void> {
  const fs = nodeFs;
  const { gitDir } = job;
  const config = await readFile(join(gitDir, 'config'), 'utf8');
  if (!config.includes(`fetch = ${REFSPEC}`))
    await git.setConfig({ fs, gitdir: gitDir, path: `remote.${REMOTE}.fetch`, value: REFSPEC });
  if (await mirrorMatchesServer(job)) {
    await pointHead(gitDir, job.defaultBranch);
    return;
  }
  const tap = tapUploadPack(
    job.http,
    () => join(gitDir, 'objects', 'pack'),
    () => {
      if (job.signal.aborted) throw cancelledError();
    },
  );
  try {
    await git.fetch({
      fs,
      http: tap.http,
      gitdir: gitDir,
      url: job.url,
      remote: REMOTE,
      tags: true,
      prune: true,
      // Drops every tag first and writes GitLab's: moved and deleted tags follow too.
      pruneTags: true,
      onAuth: onAuthOnce(job.credentials),
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
    throw unwrapCancel(error);
  } finally {
    tap.close();
  }
  // isomorphic-git also records GitLab's HEAD as a remote-tracking symref: not a mirror's.
  await rm(join(gitDir, 'refs', 'remotes', REMOTE, 'HEAD'), { force: true });
  await rmdir(join(gitDir, 'refs', 'remotes', REMOTE)).catch(() => undefined);
  await rmdir(join(gitDir, 'refs', 'remotes')).catch(() => undefined);
  await pointHead(gitDir, job.defaultBranch);
}

async function pointHead(gitDir: string, defaultBranch: string): Promise<void> {
  if (!isSafeBranchName(defaultBranch)) return;
  const head = `ref: refs/heads/${defaultBranch}\n`;
  if ((await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => '')) !== head)
    await writeFile(join(gitDir, 'HEAD'), head);
}

export async function withPacks<T>(gitDir: string, work: (packs: PackSet) => T | Promise<T>): Promise<T> {
  const packs = openPackSet(join(gitDir, 'objects', 'pack'));
  try {
    return await work(packs);
  } finally {
    packs.close();
  }
}

/**
 * A ref's line in packed-refs, or undefined for a name git would not accept (GitLab's names, which
 * isomorphic-git checked when it wrote them, checked again: a newline would forge another line).
 */
const packedLine = (oid: string, name: string, ref: string) =>
  /^[0-9a-f]{40}$/.test(oid) && isSafeBranchName(name) ? `${oid} ${ref}\n` : undefined;

/**
 * The workspace as isomorphic-git's clone (isomorphic-clone.ts) makes it: init, origin, every
 * branch as origin's, every tag, the branch checked out (tracking origin's) or a tag's commit
 * detached. The objects are copies of the mirror's packs (a reflink where the file system offers
 * one, else a byte copy: a write in the workspace never reaches the mirror either way). Returns
 * where the time went, for the log (isomorphic-mirror.ts).
 */
export async function copyMirror(
  gitDir: string,
  dir: string,
  url: string,
  branch: string,
  signal: AbortSignal,
  options: { checkout?: boolean } = {},
): Promise<Record<string, number>> {
  const fs = nodeFs;
  // Where the time goes (ms): isomorphic-git's init, the pack copies, the refs, the checkout.
  const clock = stopwatch();
  const check = () => {
    if (signal.aborted) throw cancelledError();
  };
  const workGitDir = join(dir, '.git');
  await git.init({ fs, dir });
  await git.addRemote({ fs, dir, remote: 'origin', url });

  clock.lap('initMs');
  const from = join(gitDir, 'objects', 'pack');
  const to = join(workGitDir, 'objects', 'pack');
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) {
    if (!/^pack-[0-9a-f]{40}\.(pack|idx)$/.test(name)) continue;
    check();
    await copyFile(join(from, name), join(to, name), constants.COPYFILE_FICLONE);
  }

  clock.lap('packsMs');
  const branches = await git.listBranches({ fs, gitdir: gitDir });
  const tags = await git.listTags({ fs, gitdir: gitDir });
  const lines: string[] = [];
  let checkedOut: { ref?: string; oid: string } | undefined;
  for (const name of branches) {
    const oid = await git.resolveRef({ fs, gitdir: gitDir, ref: `refs/heads/${name}` });
    const line = packedLine(oid, name, `refs/remotes/origin/${name}`);
    if (line) lines.push(line);
    if (name === branch) checkedOut = { ref: name, oid };
  }
  for (const name of tags) {
    const oid = await git.resolveRef({ fs, gitdir: gitDir, ref: `refs/tags/${name}` });
    const line = packedLine(oid, name, `refs/tags/${name}`);
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
    clock.lap('refsMs');
    // Without a checkout the repository waits for prepared files and index (prepared-checkout.ts).
    if (options.checkout === false) return clock.laps;
    await checkoutFromPack({
      dir,
      gitdir: workGitDir,
      reader: packs,
      commit,
      signal,
      onProgress: () => undefined,
    });
    clock.lap('checkoutMs');
    return clock.laps;
  } finally {
    packs.close();
  }
}
