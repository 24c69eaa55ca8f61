import { rename, rm } from 'node:fs/promises';
import { dirname, relative, resolve, isAbsolute } from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as tarFs from 'tar-fs';
import type { ContainerHandle } from './engine';

/**
 * A remote engine cannot mount this computer's folders, so a run's workspace and its files travel
 * as tar streams through the engine API: into the run's volumes before the container starts, and
 * the workspace back out after it stopped.
 */

export interface Owner {
  uid: number;
  gid: number;
}

/** Puts `hostDir` (or only `entries` of it) into `containerPath` of a created container, owned by `owner`. */
export async function copyIntoContainer(
  container: ContainerHandle,
  hostDir: string,
  containerPath: string,
  owner: Owner,
  entries?: string[],
): Promise<void> {
  const pack = tarFs.pack(hostDir, {
    ...(entries ? { entries } : {}),
    map: (header) => ({ ...header, uid: owner.uid, gid: owner.gid, uname: '', gname: '' }),
  });
  // tar-fs streams are streamx streams; dockerode only pipes them.
  await container.putArchive(containerPath, pack as unknown as NodeJS.ReadableStream);
}

export interface CopyOutResult {
  /** Symbolic links whose target lies outside the workspace: not recreated on this computer. */
  skippedLinks: string[];
  /** Entries that are neither files, folders nor symbolic links (devices, fifos, hard links). */
  skippedOther: string[];
}

/**
 * Replaces `hostDir` with the container's `containerPath`. The tar comes from inside the sandbox,
 * so it is unpacked into a fresh folder first (regular files, folders and symbolic links that stay
 * inside it; owned by this app's user; tar-fs refuses paths through links) and swapped in only once
 * complete: a failed copy leaves the old workspace as it was.
 */
export async function copyOutOfContainer(
  container: ContainerHandle,
  containerPath: string,
  hostDir: string,
): Promise<CopyOutResult> {
  const skipped: CopyOutResult = { skippedLinks: [], skippedOther: [] };
  const incoming = `${hostDir}.from-sandbox`;
  const previous = `${hostDir}.before-sandbox`;
  await rm(incoming, { recursive: true, force: true });
  try {
    const tar = await container.getArchive(containerPath);
    await pipeline(
      tar,
      tarFs.extract(incoming, {
        // The tar's entries sit under the folder's own name. tar-fs's `strip` would also rewrite absolute
        // link targets (/etc/passwd → etc/passwd), so the first component is dropped here instead.
        map: (header) => ({ ...header, name: header.name.split('/').slice(1).join('/') }),
        // Not in @types/tar-fs (written for 2.x), honoured by 3.x: never chown to the tar's ids when root.
        ...({ chown: false } as object),
        ignore: (name, headers) => {
          const header = headers as { type?: string; linkname?: string | null } | undefined;
          const type = header?.type ?? '';
          if (type === 'file' || type === 'directory') return false;
          const inside = (path: string) => {
            const rel = relative(incoming, path);
            return !rel.startsWith('..') && !isAbsolute(rel);
          };
          if (
            type === 'symlink' &&
            typeof header?.linkname === 'string' &&
            inside(resolve(dirname(name), header.linkname))
          )
            return false;
          (type === 'symlink' ? skipped.skippedLinks : skipped.skippedOther).push(relative(incoming, name));
          return true;
        },
      }),
    );
    await rm(previous, { recursive: true, force: true });
    await rename(hostDir, previous);
    await rename(incoming, hostDir);
    await rm(previous, { recursive: true, force: true });
    return skipped;
  } catch (error) {
    await rm(incoming, { recursive: true, force: true });
    throw error;
  }
}
