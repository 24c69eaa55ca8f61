import { lchown, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The agent never runs as root, but a clone made by a root app belongs to root, so the container
 * user could not write it. Then the workspace is handed to the image's agent uid for the run and
 * given back afterwards (git on the host refuses repositories owned by another user).
 */

export const AGENT_UID = 1000;
export const AGENT_GID = 1000;

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(path, uid, gid);
    else await lchown(path, uid, gid);
  }
}

export interface WorkspaceOwnership {
  /** "uid:gid" the container runs as. */
  user: string;
  /** Gives the workspace back to its owner (no-op when it was never handed over). */
  restore(): Promise<void>;
}

export async function prepareWorkspaceOwner(workspace: string): Promise<WorkspaceOwnership> {
  const info = await stat(workspace);
  if (info.uid !== 0) return { user: `${info.uid}:${info.gid}`, restore: async () => undefined };
  await chownTree(workspace, AGENT_UID, AGENT_GID);
  return { user: `${AGENT_UID}:${AGENT_GID}`, restore: () => chownTree(workspace, info.uid, info.gid) };
}
