import type { ReviewFile } from '../../../src-shared/model/review';
import type { RepoGit } from './git';
import {
  countChanges,
  fileTypeOf,
  parseNumstat,
  parsePatch,
  parseRaw,
  parseRawAndNumstat,
  shortSha,
  ZERO_MODE,
  type RawEntry,
} from './parse';

export interface DiffLimits {
  /** A file with more changed lines than this is sent without hunks (tooLarge) and loaded on demand. */
  maxFileChangedLines: number;
  /** Even on demand, a file beyond this stays hunk-less: no viewer scrolls it usefully. */
  maxSingleFileChangedLines: number;
  /**
   * The first answer carries hunks for the files in order until this many changed lines (at least
   * one file), the rest are deferred (counts, no hunks): the first paint then does not grow with the MR.
   */
  firstPageChangedLines?: number;
  /** …and at most this many files. */
  firstPageFiles?: number;
}

export const DEFAULT_LIMITS: DiffLimits = {
  maxFileChangedLines: 5_000,
  maxSingleFileChangedLines: 100_000,
  firstPageChangedLines: 1_500,
  firstPageFiles: 40,
};

/** Which files get their hunks in the first answer: a prefix of the list, in the diff's order. */
export function firstPage<T>(items: T[], changedLines: (item: T) => number, limits: DiffLimits): Set<T> {
  const maxLines = limits.firstPageChangedLines ?? DEFAULT_LIMITS.firstPageChangedLines ?? Infinity;
  const maxFiles = limits.firstPageFiles ?? DEFAULT_LIMITS.firstPageFiles ?? Infinity;
  const page = new Set<T>();
  let total = 0;
  for (const item of items) {
    const n = changedLines(item);
    if (page.size >= maxFiles || (page.size > 0 && total + n > maxLines)) break;
    page.add(item);
    total += n;
  }
  return page;
}

// Fixed options so no configuration (external diff tools, textconv, noprefix, colour) changes what we parse.
const DIFF_OPTS = ['--no-color', '--no-ext-diff', '--no-textconv', '-M', '--src-prefix=a/', '--dst-prefix=b/'];
const BIG = { maxBuffer: 512 * 1024 * 1024 };

function literal(path: string): string {
  return `:(literal)${path}`;
}

function keyOf(entry: { status?: string; oldPath: string; newPath: string }): string {
  return entry.status === 'D' || entry.newPath === '/dev/null' ? entry.oldPath : entry.newPath;
}

/** What localDiff lists before diffing: the changed files and their line counts. */
export type ChangeListing = ReturnType<typeof parseRawAndNumstat>;

/** The changed files and their line counts, from one git process (one rename detection, one content diff). */
export async function listChanges(repo: RepoGit, base: string, head: string): Promise<ChangeListing> {
  const { stdout } = await repo.git(
    ['diff', '--raw', '--numstat', '-z', '--no-abbrev', ...DIFF_OPTS, base, head, '--'],
    BIG,
  );
  return parseRawAndNumstat(stdout);
}

/**
 * The diff between two commits of a local repository, one ReviewFile per changed file, with hunks
 * for every text file below the size limit. Big files are excluded from the patch itself (not just
 * dropped after), so a generated 50 MB file does not cost 50 MB of parsing. `listed` is listChanges()
 * of the same pair when the caller already has it.
 */
export async function localDiff(
  repo: RepoGit,
  base: string,
  head: string,
  limits: DiffLimits = DEFAULT_LIMITS,
  listed?: ChangeListing,
): Promise<ReviewFile[]> {
  const { entries, counts } = listed ?? (await listChanges(repo, base, head));
  const changed = (entry: RawEntry) => {
    const c = counts.get(entry.newPath);
    return c ? c.additions + c.deletions : 0;
  };
  const tooLarge = new Set(entries.filter((e) => changed(e) > limits.maxFileChangedLines).map(keyOf));
  // Too-large files cost nothing on the first page: they are sent without hunks anyway.
  const page = firstPage(
    entries.filter((e) => !tooLarge.has(keyOf(e))),
    changed,
    limits,
  );
  const deferred = new Set(entries.filter((e) => !tooLarge.has(keyOf(e)) && !page.has(e)).map(keyOf));
  // Only the first page's files go into the patch: deferred and too-large files cost no diffing or parsing.
  const spec =
    deferred.size > 0 ? pathsOf([...page]) : ['.', ...[...tooLarge].map((path) => `:(exclude,literal)${path}`)];
  const patch =
    spec.length === 0 || entries.length === 0
      ? ''
      : (await repo.git(['diff', ...DIFF_OPTS, base, head, '--', ...spec], BIG)).stdout;
  const hunksByPath = new Map(parsePatch(patch).map((f) => [keyOf(f), f] as const));
  return entries.map((entry) => {
    const key = keyOf(entry);
    const file = toReviewFile(entry, counts, hunksByPath, tooLarge.has(key));
    return deferred.has(key) && !file.isBinary ? { ...file, deferred: true } : file;
  });
}

/** The old and new paths of every changed file, without computing any content diff beyond rename detection. */
export async function localPaths(
  repo: RepoGit,
  base: string,
  head: string,
): Promise<Array<{ oldPath: string; newPath: string }>> {
  return (await rawEntries(repo, base, head)).map((e) => ({ oldPath: e.oldPath, newPath: e.newPath }));
}

/** The changed files with their modes, blob ids and rename pairing: no content diff beyond rename detection. */
async function rawEntries(repo: RepoGit, base: string, head: string): Promise<RawEntry[]> {
  return parseRaw((await repo.git(['diff', '--raw', '-z', '--no-abbrev', ...DIFF_OPTS, base, head, '--'], BIG)).stdout);
}

/** Both paths of each entry, so rename detection still pairs them inside the narrowed pathspec. */
function pathsOf(entries: RawEntry[]): string[] {
  return [...new Set(entries.flatMap((e) => [e.oldPath, e.newPath]).filter((p) => p !== '/dev/null'))].map(literal);
}

/**
 * The diffs of several files at once (those get() deferred), in the order asked: the MR's file list
 * once, then one numstat and one patch narrowed to those files. Paths the diff does not have are left out.
 */
export async function localFileDiffs(
  repo: RepoGit,
  base: string,
  head: string,
  paths: string[],
  limits: DiffLimits = DEFAULT_LIMITS,
): Promise<ReviewFile[]> {
  const all = await rawEntries(repo, base, head);
  const found: RawEntry[] = [];
  for (const path of paths) {
    const entry = all.find((e) => keyOf(e) === path) ?? all.find((e) => e.oldPath === path || e.newPath === path);
    if (entry && !found.includes(entry)) found.push(entry);
  }
  if (found.length === 0) return [];
  const spec = pathsOf(found);
  const numstat = await repo.git(['diff', '--numstat', '-z', ...DIFF_OPTS, base, head, '--', ...spec], BIG);
  const counts = parseNumstat(numstat.stdout);
  const tooLarge = new Set(
    found
      .filter((e) => {
        const c = counts.get(e.newPath);
        return c && c.additions + c.deletions > limits.maxSingleFileChangedLines;
      })
      .map(keyOf),
  );
  const wanted = pathsOf(found.filter((e) => !tooLarge.has(keyOf(e))));
  const patch =
    wanted.length === 0 ? '' : (await repo.git(['diff', ...DIFF_OPTS, base, head, '--', ...wanted], BIG)).stdout;
  const hunksByPath = new Map(parsePatch(patch).map((f) => [keyOf(f), f] as const));
  return found.map((entry) => toReviewFile(entry, counts, hunksByPath, tooLarge.has(keyOf(entry))));
}

/** One file's full diff (for a file localDiff marked tooLarge); undefined when the path is not in the diff. */
export async function localFileDiff(
  repo: RepoGit,
  base: string,
  head: string,
  path: string,
  limits: DiffLimits = DEFAULT_LIMITS,
): Promise<ReviewFile | undefined> {
  return (await localFileDiffs(repo, base, head, [path], limits))[0];
}

function toReviewFile(
  entry: RawEntry,
  counts: Map<string, { additions: number; deletions: number } | null>,
  parsed: Map<string, ReturnType<typeof parsePatch>[number]>,
  tooLarge: boolean,
): ReviewFile {
  const count = counts.get(entry.newPath);
  const isBinary = count === null;
  const file = parsed.get(keyOf(entry));
  const hunks = tooLarge || isBinary ? [] : (file?.hunks ?? []);
  const type = fileTypeOf(entry.status);
  const tally = count ?? (isBinary ? { additions: 0, deletions: 0 } : countChanges(hunks));
  return {
    oldPath: entry.oldPath,
    newPath: entry.newPath,
    type,
    oldMode: entry.oldMode === ZERO_MODE ? '' : entry.oldMode,
    newMode: entry.newMode === ZERO_MODE ? '' : entry.newMode,
    oldRevision: shortSha(entry.oldSha),
    newRevision: shortSha(entry.newSha),
    oldEndingNewLine: file?.oldEndingNewLine ?? true,
    newEndingNewLine: file?.newEndingNewLine ?? true,
    ...(entry.similarity !== undefined ? { similarity: entry.similarity } : {}),
    isBinary,
    tooLarge,
    additions: tally.additions,
    deletions: tally.deletions,
    hunks,
  };
}
