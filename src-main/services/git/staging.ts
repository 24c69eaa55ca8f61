import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CospecError } from '../../../src-shared/ipc/errors';
import { diskError } from './errors';

/**
 * A clone is written into a hidden sibling folder and renamed into place only when complete: a
 * crash or a cancel never leaves a half-usable repository at the workspace path, and the rename is
 * atomic because both live on the same file system.
 */
export interface Staging {
  /** Where the engine clones (does not exist yet). */
  readonly path: string;
  /** Moves the finished clone to the workspace path. */
  commit(): Promise<void>;
  /** Removes whatever the failed attempt left. */
  discard(): Promise<void>;
}

const MARKER = '.cospec-clone-';

export async function createStaging(dir: string): Promise<Staging> {
  const parent = dirname(dir);
  const name = basename(dir);
  await assertTargetFree(dir);
  try {
    await mkdir(parent, { recursive: true });
  } catch (error) {
    throw fsError(error, parent);
  }
  await sweepAbandoned(parent, name);
  const path = join(parent, `.${name}${MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
  return {
    path,
    async commit() {
      // An empty folder created by the caller is replaced (rename over a directory needs it gone on Windows).
      await rmdir(dir).catch(() => undefined);
      try {
        await rename(path, dir);
      } catch (error) {
        throw fsError(error, dir);
      }
    },
    discard: () => rm(path, { recursive: true, force: true, maxRetries: 3 }),
  };
}

async function assertTargetFree(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) return;
  const entries = info.isDirectory() ? await readdir(dir) : ['(a file)'];
  if (entries.length > 0) {
    throw new CospecError(
      'INVALID_INPUT',
      `The folder ${dir} already exists and is not empty; coSPEC clones only into a new folder.`,
    );
  }
}

/** Removes staging folders of earlier attempts whose process is gone (a crash mid-clone). */
async function sweepAbandoned(parent: string, name: string): Promise<void> {
  const prefix = `.${name}${MARKER}`;
  const entries = await readdir(parent).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    // Our own pid: a concurrent attempt of this process, which cleans up after itself.
    if (pid === process.pid || isAlive(pid)) continue;
    await rm(join(parent, entry), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function fsError(error: unknown, path: string): CospecError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskError(String(error));
  return new CospecError(
    'CLONE_FAILED',
    `The workspace ${path} could not be written (${code ?? 'error'}).`,
    String(error),
  );
}
