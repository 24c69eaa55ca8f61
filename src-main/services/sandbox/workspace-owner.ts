import { lchown, opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_COPY_OUT_LIMITS } from './workspace-transfer';

/**
 * The agent never runs as root, but a clone made by a root app belongs to root, so the container
 * user could not write it. Then the workspace is handed to the image's agent uid for the run and
 * given back afterwards, so no file of the app's user stays with another uid of this computer.
 *
 * After the run the tree is the agent's: links are changed themselves, never followed (lchown),
 * folders are read as streams, and the walk stops at the same entry and depth limits as a copy
 * back from a remote engine (workspace-transfer.ts), saying so, instead of running unbounded.
 */

export const AGENT_UID = 1000;
export const AGENT_GID = 1000;

/** Changes the owner of a tree; returns why it stopped early, or undefined when it got through. */
async function chownTree(root: string, uid: number, gid: number): Promise<string | undefined> {
  const { maxEntries, maxDepth } = DEFAULT_COPY_OUT_LIMITS;
  let entries = 0;
  const stack: Array<{ dir: string; depth: number }> = [{ dir: root, depth: 0 }];
  await lchown(root, uid, gid);
  for (let next = stack.pop(); next; next = stack.pop()) {
    for await (const entry of await opendir(next.dir)) {
      if (++entries > maxEntries) return `it has more than ${maxEntries.toLocaleString('en')} files and folders`;
      const path = join(next.dir, entry.name);
      await lchown(path, uid, gid);
      if (entry.isDirectory()) {
        if (next.depth + 1 > maxDepth) return `it has folders more than ${maxDepth} levels deep`;
        stack.push({ dir: path, depth: next.depth + 1 });
      }
    }
  }
  return undefined;
}

export interface WorkspaceOwnership {
  /** "uid:gid" the container runs as. */
  user: string;
  /** Gives the workspace back to its owner (no-op when it was never handed over); a message when it stopped at a limit. */
  restore(): Promise<string | undefined>;
}

export async function prepareWorkspaceOwner(workspace: string): Promise<WorkspaceOwnership> {
  const info = await stat(workspace);
  if (info.uid !== 0) return { user: `${info.uid}:${info.gid}`, restore: async () => undefined };
  // Our own fresh clone, before the agent: bounded all the same.
  await chownTree(workspace, AGENT_UID, AGENT_GID);
  return { user: `${AGENT_UID}:${AGENT_GID}`, restore: () => chownTree(workspace, info.uid, info.gid) };
}
