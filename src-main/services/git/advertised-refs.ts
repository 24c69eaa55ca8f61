import * as nodeFs from 'node:fs';
import git, { type HttpClient } from 'isomorphic-git';
import { onAuthOnce, unwrapCancel } from './isomorphic-clone';
import type { GitCredentials } from './types';

/**
 * Whether a mirror's branches and tags are GitLab's already, from the ref advertisement alone: one
 * GET, where a fetch would go on to more requests (isomorphic-git asks for a pack even then, which
 * costs GitLab a pack-objects run; git's protocol v2 lists the refs in a POST of its own) and, on
 * the user's git path, start processes. A repeat run on a project nobody pushed to since waits for
 * this alone. Reads the mirror's refs, never writes; both clone paths' mirrors (mirror.ts,
 * isomorphic-mirror.ts) keep GitLab's branches and tags under the same names.
 */
export async function mirrorMatchesServer(job: {
  gitDir: string;
  url: string;
  http: HttpClient;
  credentials: () => Promise<GitCredentials>;
}): Promise<boolean> {
  const fs = nodeFs;
  const server = await git
    .listServerRefs({
      http: job.http,
      url: job.url,
      // One GET of the advertisement (version 2 would take two requests).
      protocolVersion: 1,
      onAuth: onAuthOnce(job.credentials),
      onAuthFailure: () => ({ cancel: true }),
    })
    .catch((error: unknown) => {
      throw unwrapCancel(error);
    });
  const theirs = new Map<string, string>();
  for (const { ref, oid } of server)
    if (/^refs\/(heads|tags)\//.test(ref) && !ref.endsWith('^{}')) theirs.set(ref, oid);
  const ours = [
    ...(await git.listBranches({ fs, gitdir: job.gitDir })).map((name) => `refs/heads/${name}`),
    ...(await git.listTags({ fs, gitdir: job.gitDir })).map((name) => `refs/tags/${name}`),
  ];
  if (ours.length !== theirs.size) return false;
  for (const ref of ours) {
    const oid = await git.resolveRef({ fs, gitdir: job.gitDir, ref, depth: 1 }).catch(() => undefined);
    if (!oid || theirs.get(ref) !== oid) return false;
  }
  return true;
}
