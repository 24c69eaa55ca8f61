import { rename, rm } from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import { dirname, relative, resolve, isAbsolute, sep } from 'node:path';
import { Transform } from 'node:stream';
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
  /** Symbolic links whose target lies outside the workspace or goes through another link: not recreated (the first few named). */
  skippedLinks: string[];
  skippedLinkCount: number;
  /** Entries that are neither files, folders nor symbolic links (devices, fifos, hard links); the first few named. */
  skippedOther: string[];
  skippedOtherCount: number;
}

/**
 * What is read back from a run, at most. The workspace comes from inside the sandbox: an agent can
 * fill it with millions of files, one enormous file, trees thousands of levels deep. Past a limit
 * the copy stops, the previous workspace stays, and the error says which limit and what it is.
 */
export interface CopyOutLimits {
  maxEntries: number;
  maxTotalBytes: number;
  maxFileBytes: number;
  /** Path components below the workspace. */
  maxDepth: number;
  maxPathBytes: number;
  timeoutMs: number;
}

export const DEFAULT_COPY_OUT_LIMITS: CopyOutLimits = {
  maxEntries: 200_000,
  maxTotalBytes: 4 * 1024 ** 3,
  maxFileBytes: 1024 ** 3,
  maxDepth: 128,
  maxPathBytes: 4096,
  timeoutMs: 10 * 60_000,
};

/** A copy back that stopped at one of the limits; its message is for the run's log. */
export class CopyOutLimitError extends Error {}

const SAMPLES = 5;

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
  limits: CopyOutLimits = DEFAULT_COPY_OUT_LIMITS,
): Promise<CopyOutResult> {
  const skipped: CopyOutResult = { skippedLinks: [], skippedLinkCount: 0, skippedOther: [], skippedOtherCount: 0 };
  let entries = 0;
  let declared = 0;
  let streamed = 0;
  let exceeded: CopyOutLimitError | undefined;
  const refuse = (message: string) => {
    if (exceeded) return;
    const error = new CopyOutLimitError(message);
    exceeded = error;
    // Not from inside tar-fs's callback: failing our own stage makes the pipeline tear down the rest.
    setImmediate(() => meter.destroy(error));
  };
  const timer = setTimeout(
    () => refuse(`copying it took longer than ${Math.round(limits.timeoutMs / 60_000)} minutes`),
    limits.timeoutMs,
  );
  // Counts the raw tar bytes too, so padding or a stream that never ends cannot get past the limits.
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      streamed += chunk.length;
      if (streamed > limits.maxTotalBytes + limits.maxEntries * 1024)
        refuse(`it is larger than ${formatBytes(limits.maxTotalBytes)}`);
      done(null, chunk);
    },
  });
  /** Every entry's header passes here first; a limit passed stops the whole copy. */
  const account = (name: string, size: number) => {
    entries += 1;
    declared += size;
    const depth = name.split('/').filter(Boolean).length;
    if (entries > limits.maxEntries)
      refuse(`it has more than ${limits.maxEntries.toLocaleString('en')} files and folders`);
    else if (size > limits.maxFileBytes)
      refuse(`${name.slice(0, 200)} is larger than ${formatBytes(limits.maxFileBytes)}`);
    else if (declared > limits.maxTotalBytes) refuse(`it is larger than ${formatBytes(limits.maxTotalBytes)}`);
    else if (depth > limits.maxDepth) refuse(`it has folders more than ${limits.maxDepth} levels deep`);
    else if (Buffer.byteLength(name) > limits.maxPathBytes)
      refuse(`it has a path longer than ${limits.maxPathBytes} bytes`);
  };
  const incoming = `${hostDir}.from-sandbox`;
  const previous = `${hostDir}.before-sandbox`;
  await rm(incoming, { recursive: true, force: true });
  try {
    const tar = await container.getArchive(containerPath);
    const extract = tarFs.extract(incoming, {
      // The tar's entries sit under the folder's own name. tar-fs's `strip` would also rewrite absolute
      // link targets (/etc/passwd → etc/passwd), so the first component is dropped here instead.
      map: (header) => {
        const name = header.name.split('/').slice(1).join('/');
        account(name, header.size ?? 0);
        return { ...header, name };
      },
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
          inside(resolve(dirname(name), header.linkname)) &&
          !throughLink(resolve(dirname(name), header.linkname), incoming)
        )
          return false;
        if (type === 'symlink') {
          skipped.skippedLinkCount += 1;
          if (skipped.skippedLinks.length < SAMPLES) skipped.skippedLinks.push(relative(incoming, name));
        } else {
          skipped.skippedOtherCount += 1;
          if (skipped.skippedOther.length < SAMPLES) skipped.skippedOther.push(relative(incoming, name));
        }
        return true;
      },
    });
    // A copy stopped at a limit destroys the entry being read too, maybe before tar-fs listens to
    // it; that error is the pipeline's already.
    extract.on('entry', (_header: unknown, stream: NodeJS.EventEmitter) => stream.on('error', () => undefined));
    await pipeline(tar, meter, extract);
    if (exceeded) throw exceeded;
    await rm(previous, { recursive: true, force: true });
    await rename(hostDir, previous);
    await rename(incoming, hostDir);
    await rm(previous, { recursive: true, force: true });
    return skipped;
  } catch (error) {
    await rm(incoming, { recursive: true, force: true });
    if (exceeded)
      throw new CopyOutLimitError(
        `The workspace was not copied back: ${exceeded.message} (what the agent pushed to GitLab is unaffected).`,
      );
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a path inside `root` is, or passes through, a symbolic link already written: a chain of
 * links each lexically inside can still lead out (`d -> .`, `x -> d/..`), and a loop is a chain.
 * tar-fs refuses such a link by failing the whole copy; here it is left out and named instead.
 */
function throughLink(path: string, root: string): boolean {
  for (let p = path; p !== root && p.startsWith(root + sep); p = dirname(p)) {
    const info = lstatSync(p, { throwIfNoEntry: false });
    if (info?.isSymbolicLink()) return true;
  }
  return false;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
