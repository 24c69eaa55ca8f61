import type { Logger } from '../../platform/logger';
import { isObjectId, isSafeBranchName } from '../git/host-git';
import type { Mirror, MirrorAccess } from '../git/mirror';

export interface MirrorCommitsRequest {
  mirror: Mirror;
  /** The project's clone URL on the account's instance. */
  url: string;
  access: () => Promise<MirrorAccess>;
  defaultBranch: string;
  /** The commit the run's clone started from, when the run recorded it. */
  baseSha?: string;
  logger: Logger;
}

/** No run adds more commits than this to one branch in a way a person reads as a list. */
const MAX_COMMITS = 500;
const MAX_TITLE = 500;

/**
 * The commits a run added to a branch, read from the project's mirror (git/mirror.ts) after
 * fetching GitLab's branches into it, once per collection: what the agent pushed is on GitLab,
 * and the run's workspace is never read. Shas come from the gateway's record, so they are checked
 * to be object ids before git sees them. Any failure (no git, GitLab unreachable, the branch gone
 * with its commits) gives no commit list rather than failing the run's outputs.
 */
export function mirrorCommitLister(
  req: MirrorCommitsRequest,
): (from: string | null, to: string) => Promise<Array<{ sha: string; title: string }>> {
  let fetched: Promise<boolean> | undefined;
  const fetchOnce = () =>
    (fetched ??= req
      .access()
      .then((access) =>
        req.mirror
          .exclusive(() => req.mirror.fetch(req.url, ['+refs/heads/*:refs/heads/*'], access, { prune: true }))
          .then(() => true),
      )
      .catch((error: unknown) => {
        req.logger.warn('could not fetch the project into its mirror; commit lists are left empty', { error });
        return false;
      }));

  return async (from, to) => {
    if (!isObjectId(to) || (from !== null && !isObjectId(from))) return [];
    if (!(await fetchOnce())) return [];
    const base = from ?? (await usableBase(req));
    if (!base) return [];
    try {
      const { stdout } = await req.mirror.git(
        ['log', `--max-count=${MAX_COMMITS}`, '--format=%H%x09%s', to, '--not', base, '--'],
        { maxBuffer: 4 * 1024 * 1024 },
      );
      return stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const [sha = '', ...title] = line.split('\t');
          return { sha, title: title.join('\t').slice(0, MAX_TITLE) };
        });
    } catch {
      // The commits are not on GitLab any more (branch deleted, history rewritten).
      return [];
    }
  };
}

/** What a new branch is measured against: the commit the run started from, else the default branch now. */
async function usableBase(req: MirrorCommitsRequest): Promise<string | undefined> {
  if (req.baseSha && isObjectId(req.baseSha)) {
    const known = await req.mirror.git(['cat-file', '-e', `${req.baseSha}^{commit}`]).then(
      () => true,
      () => false,
    );
    if (known) return req.baseSha;
  }
  return isSafeBranchName(req.defaultBranch) ? `refs/heads/${req.defaultBranch}` : undefined;
}
