import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import { checkoutFromPack } from './checkout';
import { cancelledError } from './errors';
import { lfsWarning } from './lfs';
import { PackFormatError } from './pack-format';
import type { PackReader } from './pack-reader';
import { tapUploadPack } from './pack-tap';
import { overallProgress } from './progress';
import type { GitCredentials } from './types';

/** One isomorphic-git clone, the same whether it runs on a worker thread or the caller's thread. */
export interface IsomorphicCloneJob {
  url: string;
  dir: string;
  branch?: string;
  depth?: number;
  http: HttpClient;
  credentials: () => Promise<GitCredentials>;
  onProgress: (detail: string, percent?: number) => void;
  signal: AbortSignal;
}

export async function isomorphicClone(
  job: IsomorphicCloneJob,
): Promise<{ branch: string; head: string; warnings: string[] }> {
  const check = () => {
    if (job.signal.aborted) throw cancelledError();
  };
  const report = (phase: string, loaded: number, total: number) => {
    const { detail, percent } = overallProgress(phase, loaded, total);
    job.onProgress(detail, percent);
  };
  const gitdir = join(job.dir, '.git');
  // The pack goes to our streaming indexer instead of isomorphic-git's in-memory one (pack-tap.ts),
  // and the work tree is written from it by checkout.ts; isomorphic-git does the protocol and refs.
  const tap = tapUploadPack(
    job.http,
    () => join(gitdir, 'objects', 'pack'),
    (p) => {
      check();
      report(p.phase, p.loaded, p.total);
    },
  );
  try {
    // git.clone is init + addRemote + fetch + checkout; its checkout step would load the whole
    // pack into memory to read one commit, so the last step is ours (see checkoutRef).
    const fs = abortableFs(job.signal);
    await git.init({ fs, dir: job.dir });
    await git.addRemote({ fs, dir: job.dir, remote: 'origin', url: job.url });
    const fetched = await git.fetch({
      fs,
      http: tap.http,
      dir: job.dir,
      remote: 'origin',
      ref: job.branch,
      depth: job.depth,
      singleBranch: job.depth !== undefined,
      tags: true,
      // Asked once, then the same answer for the next requests of this clone; a second ask
      // after a rejection means the token is wrong, so fail instead of looping.
      onAuth: onAuthOnce(job.credentials),
      onAuthFailure: () => ({ cancel: true }),
      onProgress: (p) => {
        check();
        report(p.phase, p.loaded, p.total);
      },
    });
    check();
    const pack = tap.result();
    const ref = (job.branch ?? fetched.defaultBranch ?? '').replace(/^refs\/heads\//, '');
    // An empty repository has no pack, no branch and nothing to check out.
    if (pack && fetched.fetchHead && ref) {
      const commit = await checkoutRef(job.dir, ref, pack.reader);
      await checkoutFromPack({
        dir: job.dir,
        gitdir,
        reader: pack.reader,
        commit,
        signal: job.signal,
        onProgress: (loaded, total) => report('Updating workdir', loaded, total),
      });
    }
  } catch (error) {
    throw unwrapCancel(error);
  } finally {
    tap.close();
  }
  check();
  const branch = (await git.currentBranch({ fs: nodeFs, dir: job.dir })) ?? job.branch ?? 'HEAD';
  const head = await git.resolveRef({ fs: nodeFs, dir: job.dir, ref: 'HEAD' });
  const lfs = await lfsWarning(job.dir, 'isomorphic-git');
  return { branch, head, warnings: lfs ? [lfs] : [] };
}

/**
 * What isomorphic-git's checkout does to refs after a clone, without reading objects through
 * it: a remote branch gets a local branch that tracks it and HEAD points at it; a tag gives a
 * detached HEAD at its commit. Returns the commit to check out.
 */
async function checkoutRef(dir: string, ref: string, reader: PackReader): Promise<string> {
  const remoteRef = `refs/remotes/origin/${ref}`;
  const isBranch = await git.resolveRef({ fs: nodeFs, dir, ref: remoteRef }).then(
    () => true,
    () => false,
  );
  if (isBranch) {
    const oid = await git.resolveRef({ fs: nodeFs, dir, ref: remoteRef });
    await git.writeRef({ fs: nodeFs, dir, ref: `refs/heads/${ref}`, value: oid, force: true });
    await git.setConfig({ fs: nodeFs, dir, path: `branch.${ref}.remote`, value: 'origin' });
    await git.setConfig({ fs: nodeFs, dir, path: `branch.${ref}.merge`, value: `refs/heads/${ref}` });
    await git.writeRef({ fs: nodeFs, dir, ref: 'HEAD', value: `refs/heads/${ref}`, symbolic: true, force: true });
    return peel(reader, oid);
  }
  // A tag (or another ref the server named): detached HEAD at the commit it points to.
  const commit = peel(reader, await git.resolveRef({ fs: nodeFs, dir, ref }));
  await git.writeRef({ fs: nodeFs, dir, ref: 'HEAD', value: commit, force: true });
  return commit;
}

/** Follows annotated tags to the commit they name (in a clone's pack, or a mirror's packs). */
export function peel(reader: Pick<PackReader, 'read'>, oid: string): string {
  let current = oid;
  for (let hops = 0; hops < 10; hops++) {
    const object = reader.read(current);
    if (object.type === 'commit') return current;
    const target =
      object.type === 'tag' ? /^object ([0-9a-f]{40})\n/.exec(object.data.toString('latin1', 0, 48))?.[1] : undefined;
    if (!target) throw new PackFormatError(`${oid} does not lead to a commit.`);
    current = target;
  }
  throw new PackFormatError(`${oid}: too many nested tags.`);
}

/** isomorphic-git's onAuth: asks once, then gives the same answer to the next requests. */
export function onAuthOnce(credentials: IsomorphicCloneJob['credentials']) {
  let cached: Promise<GitCredentials> | undefined;
  return async () => {
    cached ??= credentials();
    const { username, password } = await cached;
    return { username, password };
  };
}

/** isomorphic-git maps onAuthFailure's cancel to UserCanceledError; the server really said 401. */
export function unwrapCancel(error: unknown): unknown {
  const e = error as { code?: unknown };
  if (e?.code === 'UserCanceledError')
    return Object.assign(new Error('HTTP Error: 401 Unauthorized'), { code: 'HttpError', data: { statusCode: 401 } });
  return error;
}

/**
 * node:fs whose promise calls fail once the clone is cancelled, so checkout (thousands of writes)
 * stops at the next file instead of running to the end.
 */
function abortableFs(signal: AbortSignal): { promises: typeof nodeFs.promises } {
  const target = nodeFs.promises;
  const promises = new Proxy(target, {
    get(obj, key, receiver) {
      const value: unknown = Reflect.get(obj, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (signal.aborted) return Promise.reject(cancelledError());
        return (value as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
  return { promises };
}
