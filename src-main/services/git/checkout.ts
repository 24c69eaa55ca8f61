import { closeSync, fstatSync, lstatSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cancelledError } from './errors';
import { serializeIndex, type IndexEntry, type IndexStat } from './index-file';
import { PackFormatError, type ObjectType } from './pack-format';
import type { ReadOptions } from './pack-reader';

/**
 * Writes the work tree and the index of a fresh clone straight from the pack: trees are walked
 * once, each blob is read once (positional read + native inflate, see PackReader), each file costs
 * open/write/fstat/close, and the index is written in one piece at the end. This replaces
 * isomorphic-git's checkout, which compares against an (empty) work tree and index file by file
 * and inflates objects twice.
 *
 * Files are written in pack order, so the reads run forward through the pack (one read-ahead
 * window instead of a read call per file), and they are not cached, so they do not push the
 * delta bases out of the reader's cache. Where the time goes (mostly the kernel creating files)
 * is measured in bench/repeat-run.ts. Sync calls on purpose: this runs on the clone's worker
 * thread, and yields every few hundred files so a cancel is seen promptly.
 */
export interface CheckoutJob {
  dir: string;
  gitdir: string;
  /** The clone's pack, or every pack of a repository (pack-set.ts). */
  reader: CheckoutReader;
  commit: string;
  onProgress: (loaded: number, total: number) => void;
  signal: AbortSignal;
}

export interface CheckoutReader {
  read(oid: string, options?: ReadOptions): { type: ObjectType; data: Buffer };
  /** Orders objects as they lie on disk; files are written in that order when the reader tells it. */
  position?(oid: string): number | undefined;
}

/** One file of the tree to write: its path in the work tree, normalised mode and blob id. */
export interface PlannedFile {
  path: string;
  mode: number;
  oid: Buffer;
}

const YIELD_EVERY = 200;

export async function checkoutFromPack(job: CheckoutJob): Promise<{ files: number }> {
  const { dirs, files } = planCheckout(job.reader, job.commit);
  // Parents come before children in `dirs` (a tree is listed before its subtrees are walked), and
  // every folder exists before any file or link is written: no later mkdir can meet a symlink.
  for (const d of dirs) mkdirSync(join(job.dir, d));
  const regular = files.filter((f) => f.mode === 0o100644 || f.mode === 0o100755);
  const special = files.filter((f) => f.mode !== 0o100644 && f.mode !== 0o100755);
  const position = job.reader.position?.bind(job.reader);
  if (position) {
    const at = new Map(regular.map((f) => [f, position(f.oid.toString('hex')) ?? Number.MAX_SAFE_INTEGER]));
    regular.sort((a, b) => (at.get(a) as number) - (at.get(b) as number));
  }

  const index: IndexEntry[] = [];
  for (const file of special) {
    if (job.signal.aborted) throw cancelledError();
    index.push(writeSpecial(job.dir, job.reader, file));
  }
  const done = special.length;
  for (let i = 0; i < regular.length; i++) {
    if (i % YIELD_EVERY === 0) {
      job.onProgress(done + i, files.length);
      await new Promise((resolve) => setImmediate(resolve));
      if (job.signal.aborted) throw cancelledError();
    }
    const file = regular[i] as PlannedFile;
    const stat = writeRegularFile(job.dir, job.reader, file);
    index.push({ path: Buffer.from(file.path, 'utf8'), oid: file.oid, mode: file.mode, stat });
  }
  job.onProgress(files.length, files.length);
  writeFileSync(join(job.gitdir, 'index'), serializeIndex(index));
  return { files: files.length };
}

/** The folders (parents first) and files of the commit's tree; every name checked (parseTree). */
function planCheckout(reader: CheckoutReader, commitOid: string): { dirs: string[]; files: PlannedFile[] } {
  const plan = { dirs: [] as string[], files: [] as PlannedFile[] };
  walkTree(reader, treeOfCommit(reader, commitOid), '', plan);
  return plan;
}

export function treeOfCommit(reader: CheckoutReader, commitOid: string): string {
  const commit = reader.read(commitOid);
  if (commit.type !== 'commit') throw new PackFormatError(`${commitOid} is not a commit.`);
  const treeOid = /^tree ([0-9a-f]{40})\n/.exec(commit.data.toString('latin1', 0, 46))?.[1];
  if (!treeOid) throw new PackFormatError(`Commit ${commitOid} has no tree.`);
  return treeOid;
}

/** Adds a tree's folders (parents first, under `prefix`) and files to the plan. */
export function walkTree(
  reader: CheckoutReader,
  treeOid: string,
  prefix: string,
  plan: { dirs: string[]; files: PlannedFile[] },
): void {
  const stack: Array<{ oid: string; prefix: string }> = [{ oid: treeOid, prefix }];
  while (stack.length) {
    const { oid, prefix } = stack.pop() as { oid: string; prefix: string };
    for (const entry of readTree(reader, oid)) {
      const path = prefix + entry.name;
      if (entry.mode === 0o40000) {
        plan.dirs.push(path);
        stack.push({ oid: entry.oid.toString('hex'), prefix: `${path}/` });
      } else {
        plan.files.push({ path, mode: entry.mode, oid: entry.oid });
      }
    }
  }
}

export function readTree(reader: CheckoutReader, oid: string): Array<{ mode: number; name: string; oid: Buffer }> {
  const tree = reader.read(oid);
  if (tree.type !== 'tree') throw new PackFormatError(`${oid} is not a tree.`);
  return parseTree(tree.data);
}

/**
 * Writes one regular file (mode 0o100644 or 0o100755) into `dir`: created exclusively ('wx', so an
 * existing file or a symlink in its place is never written through), its stat for the index.
 */
export function writeRegularFile(dir: string, reader: CheckoutReader, file: PlannedFile): IndexStat {
  const blob = reader.read(file.oid.toString('hex'), { keep: false });
  if (blob.type !== 'blob') throw new PackFormatError(`${file.path} does not point at a file's content.`);
  const fd = openSync(join(dir, file.path), 'wx', file.mode === 0o100755 ? 0o755 : 0o644);
  try {
    let written = 0;
    while (written < blob.data.length) written += writeSync(fd, blob.data, written, blob.data.length - written);
    return indexStat(fstatSync(fd, { bigint: true }));
  } finally {
    closeSync(fd);
  }
}

/** The stat fields the index keeps (a BigIntStats also holds four Dates' worth of other fields). */
function indexStat(s: IndexStat): IndexStat {
  return { ctimeNs: s.ctimeNs, mtimeNs: s.mtimeNs, dev: s.dev, ino: s.ino, uid: s.uid, gid: s.gid, size: s.size };
}

/** A symlink or a submodule (an empty folder, the commit recorded in the index). */
export function writeSpecial(dir: string, reader: CheckoutReader, file: PlannedFile): IndexEntry {
  const target = join(dir, file.path);
  const path = Buffer.from(file.path, 'utf8');
  if (file.mode === 0o160000) {
    mkdirSync(target);
    return { path, oid: file.oid, mode: file.mode };
  }
  const blob = reader.read(file.oid.toString('hex'), { keep: false });
  if (blob.type !== 'blob') throw new PackFormatError(`${file.path} does not point at a file's content.`);
  try {
    symlinkSync(blob.data.toString('utf8'), target);
  } catch (error) {
    // Without symlink rights (Windows), git writes the link target as a plain file.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    writeFileSync(target, blob.data, { flag: 'wx' });
  }
  return { path, oid: file.oid, mode: file.mode, stat: indexStat(lstatSync(target, { bigint: true })) };
}

/** Tree entries: "<octal mode> <name>\0<20-byte id>", names checked so none escapes the work tree. */
export function parseTree(data: Buffer): Array<{ mode: number; name: string; oid: Buffer }> {
  const entries: Array<{ mode: number; name: string; oid: Buffer }> = [];
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    const nul = data.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 21 > data.length) throw new PackFormatError('Malformed tree object.');
    const mode = Number.parseInt(data.toString('latin1', i, space), 8);
    const name = data.toString('utf8', space + 1, nul);
    if (!isSafeName(name))
      throw new PackFormatError(`The repository contains a path that cannot be checked out safely: "${name}".`);
    entries.push({ mode: normalizeMode(mode), name, oid: data.subarray(nul + 1, nul + 21) });
    i = nul + 21;
  }
  return entries;
}

function normalizeMode(mode: number): number {
  if (mode === 0o40000 || mode === 0o120000 || mode === 0o160000 || mode === 0o100755) return mode;
  // Old git wrote 0o100664 and friends; git treats any other blob mode as a regular file.
  if ((mode & 0o170000) === 0o100000) return 0o100644;
  throw new PackFormatError(`Unknown file mode ${mode.toString(8)} in a tree.`);
}

/** What git's verify_path refuses in one path component (".git" in any case, "..", separators). */
function isSafeName(name: string): boolean {
  if (name === '' || name === '.' || name === '..' || name.toLowerCase() === '.git') return false;
  if (name.includes('/') || name.includes('\0')) return false;
  // A backslash is an ordinary character on POSIX but a separator on Windows.
  if (process.platform === 'win32' && name.includes('\\')) return false;
  return true;
}
