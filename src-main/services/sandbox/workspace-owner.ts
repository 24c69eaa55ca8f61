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

/** lchown calls in flight at once: one at a time, a 5,000-file checkout took 0.4–2 s of event-loop round trips. */
const IN_FLIGHT = 64;

/** Changes the owner of a tree; returns why it stopped early, or undefined when it got through. */
async function chownTree(root: string, uid: number, gid: number): Promise<string | undefined> {
  const { maxEntries, maxDepth } = DEFAULT_COPY_OUT_LIMITS;
  let entries = 0;
  const stack: Array<{ dir: string; depth: number }> = [{ dir: root, depth: 0 }];
  let pending: Array<Promise<void>> = [];
  // Every call is awaited before the walk returns, early or not (and its error is the walk's).
  const drain = async () => {
    const batch = pending;
    pending = [];
    await Promise.all(batch);
  };
  await lchown(root, uid, gid);
  for (let next = stack.pop(); next; next = stack.pop()) {
    // Still a stream (bounded memory on a folder of millions), read in larger slices.
    for await (const entry of await opendir(next.dir, { bufferSize: 256 })) {
      if (++entries > maxEntries) {
        await drain();
        return `it has more than ${maxEntries.toLocaleString('en')} files and folders`;
      }
      const path = join(next.dir, entry.name);
      pending.push(lchown(path, uid, gid));
      if (pending.length >= IN_FLIGHT) await drain();
      if (entry.isDirectory()) {
        if (next.depth + 1 > maxDepth) {
          await drain();
          return `it has folders more than ${maxDepth} levels deep`;
        }
        stack.push({ dir: path, depth: next.depth + 1 });
      }
    }
    await drain();
  }
  return undefined;
}

export interface WorkspaceOwnership {
  /** "uid:gid" the container runs as. */
  user: string;
  /**
   * Resolves once the workspace belongs to `user` (the walk runs meanwhile, so the container can be
   * created alongside); the container must not start before.
   */
  handedOver: Promise<void>;
  /** Gives the workspace back to its owner (no-op when it was never handed over); a message when it stopped at a limit. */
  restore(): Promise<string | undefined>;
}

export async function prepareWorkspaceOwner(workspace: string): Promise<WorkspaceOwnership> {
  const info = await stat(workspace);
  if (info.uid !== 0)
    return { user: `${info.uid}:${info.gid}`, handedOver: Promise.resolve(), restore: async () => undefined };
  // Our own fresh clone, before the agent: bounded all the same.
  const handedOver = chownTree(workspace, AGENT_UID, AGENT_GID).then(() => undefined);
  // Awaited by the caller before the start; a failure there is the caller's to report.
  handedOver.catch(() => undefined);
  return {
    user: `${AGENT_UID}:${AGENT_GID}`,
    handedOver,
    restore: async () => {
      // Never two walks at once over the same tree.
      await handedOver.catch(() => undefined);
      return chownTree(workspace, info.uid, info.gid);
    },
  };
}
