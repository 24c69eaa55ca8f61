import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  readTree,
  treeOfCommit,
  walkTree,
  writeRegularFile,
  writeSpecial,
  type CheckoutReader,
  type PlannedFile,
} from './checkout';
import { cancelledError } from './errors';
import { parseIndex, serializeIndex, type IndexEntry } from './index-file';

/**
 * Brings a work tree and index checked out at one commit (by checkout.ts, for a later run:
 * prepared-checkout.ts) to another commit, writing only what differs between the two trees, as
 * `git checkout` does when it switches commits. After a few pushes to GitLab most of a project's
 * thousands of files are unchanged, and writing them again is most of a repeat run's wait.
 *
 * The trees are compared top down and equal subtrees are skipped, so the cost follows the change,
 * not the project. Everything that goes (and everything whose type or content changes) is removed
 * first, folders with what is in them, without following links; then folders are made, parents
 * first, and files created exclusively (checkout.ts's writers): nothing is ever written through a
 * link, even when a link of the old tree becomes a folder of the new one. The work tree must be
 * exactly the checkout of `from` (the caller checked its fingerprint), and the index must be the
 * one written with it.
 */
export interface AdvanceJob {
  dir: string;
  gitdir: string;
  reader: CheckoutReader;
  from: string;
  to: string;
  signal: AbortSignal;
  /** More paths to remove or write than this throws TooManyChanges (a full checkout is then cheaper to run elsewhere). */
  maxChanges: number;
}

export class TooManyChanges extends Error {}

/** A path of the old tree that goes (a folder with everything under it). */
interface Removed {
  path: string;
  mode: number;
}

const YIELD_EVERY = 100;

export async function advanceCheckout(job: AdvanceJob): Promise<{ removed: number; written: number }> {
  const removed: Removed[] = [];
  const plan = { dirs: [] as string[], files: [] as PlannedFile[] };
  diffTrees(job, treeOfCommit(job.reader, job.from), treeOfCommit(job.reader, job.to), '', removed, plan);
  const changes = removed.length + plan.dirs.length + plan.files.length;
  if (changes > job.maxChanges)
    throw new TooManyChanges(`${changes} files and folders to remove or write to reach the run's commit`);
  // Read before anything changes: a damaged index leaves the work tree as it was.
  const indexPath = join(job.gitdir, 'index');
  const entries = new Map(parseIndex(readFileSync(indexPath)).map((e) => [e.path.toString('utf8'), e]));

  let done = 0;
  const step = async () => {
    if (++done % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    if (job.signal.aborted) throw cancelledError();
  };
  const goneFolders = new Set<string>();
  for (const gone of removed) {
    const target = join(job.dir, gone.path);
    if (gone.mode === 0o40000 || gone.mode === 0o160000) {
      // rm does not follow links: what a link inside points at is never touched.
      rmSync(target, { recursive: true });
      goneFolders.add(gone.path);
    } else {
      unlinkSync(target);
    }
    entries.delete(gone.path);
    await step();
  }
  // What was under a removed folder leaves the index in one pass: each entry's parent folders are
  // looked up, rather than every entry compared with every removed folder.
  if (goneFolders.size)
    for (const path of entries.keys())
      for (let slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1))
        if (goneFolders.has(path.slice(0, slash))) {
          entries.delete(path);
          break;
        }
  // Parents come before children (diffTrees and walkTree list a folder before what is in it).
  for (const d of plan.dirs) {
    mkdirSync(join(job.dir, d));
    await step();
  }
  for (const file of plan.files) {
    const entry: IndexEntry =
      file.mode === 0o100644 || file.mode === 0o100755
        ? {
            path: Buffer.from(file.path, 'utf8'),
            oid: file.oid,
            mode: file.mode,
            stat: writeRegularFile(job.dir, job.reader, file),
          }
        : writeSpecial(job.dir, job.reader, file);
    entries.set(file.path, entry);
    await step();
  }
  writeFileSync(indexPath, serializeIndex([...entries.values()]));
  return { removed: removed.length, written: plan.files.length };
}

/**
 * What differs between two trees under `prefix`: removed paths (whole folders where a folder goes
 * or stops being one), and the folders and files to write (all of an added folder's contents).
 * Entries with the same mode and id are equal; two folders that differ are compared in turn.
 */
function diffTrees(
  job: AdvanceJob,
  fromTree: string,
  toTree: string,
  prefix: string,
  removed: Removed[],
  plan: { dirs: string[]; files: PlannedFile[] },
): void {
  const before = new Map(readTree(job.reader, fromTree).map((e) => [e.name, e]));
  const after = readTree(job.reader, toTree);
  const subtrees: Array<[string, string, string]> = [];
  for (const entry of after) {
    const old = before.get(entry.name);
    before.delete(entry.name);
    const path = prefix + entry.name;
    if (old && old.mode === entry.mode && old.oid.equals(entry.oid)) continue;
    if (old && old.mode === 0o40000 && entry.mode === 0o40000) {
      subtrees.push([old.oid.toString('hex'), entry.oid.toString('hex'), `${path}/`]);
      continue;
    }
    if (old) removed.push({ path, mode: old.mode });
    if (entry.mode === 0o40000) {
      plan.dirs.push(path);
      walkTree(job.reader, entry.oid.toString('hex'), `${path}/`, plan);
    } else {
      plan.files.push({ path, mode: entry.mode, oid: entry.oid });
    }
  }
  for (const [name, old] of before) removed.push({ path: prefix + name, mode: old.mode });
  if (removed.length + plan.dirs.length + plan.files.length > job.maxChanges) return;
  for (const [from, to, under] of subtrees) diffTrees(job, from, to, under, removed, plan);
}
