import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Commits reachable from `to` but not from `from` (or, for a new branch, not from the remote's
 * default branch as cloned), read from the run's clone with the system git.
 */
export async function listCommitsInClone(
  workspace: string,
  defaultBranch: string,
  from: string | null,
  to: string,
): Promise<Array<{ sha: string; title: string }>> {
  const exclude = from ?? `refs/remotes/origin/${defaultBranch}`;
  try {
    const { stdout } = await run('git', ['-C', workspace, 'log', '--format=%H%x09%s', to, '--not', exclude, '--'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [sha = '', ...title] = line.split('\t');
        return { sha, title: title.join('\t') };
      });
  } catch {
    // The clone may lack the objects (agent rewrote history, clone removed): no commit list then.
    return [];
  }
}
