import type { ReviewFile } from '../../../src-shared/ipc/services/review';
import { git } from './git';
import { countChanges, fileTypeOf, parseNumstat, parsePatch, parseRaw, shortSha, ZERO_MODE, type RawEntry } from './parse';

export interface DiffLimits {
  /** A file with more changed lines than this is sent without hunks (tooLarge) and loaded on demand. */
  maxFileChangedLines: number;
  /** Even on demand, a file beyond this stays hunk-less: no viewer scrolls it usefully. */
  maxSingleFileChangedLines: number;
}

export const DEFAULT_LIMITS: DiffLimits = { maxFileChangedLines: 5_000, maxSingleFileChangedLines: 100_000 };

// Fixed options so the user's git config (external diff tools, textconv, noprefix, colour) cannot change what we parse.
const DIFF_OPTS = ['--no-color', '--no-ext-diff', '--no-textconv', '-M', '--src-prefix=a/', '--dst-prefix=b/'];
const BIG = { maxBuffer: 512 * 1024 * 1024 };

function literal(path: string): string {
  return `:(literal)${path}`;
}

function keyOf(entry: { status?: string; oldPath: string; newPath: string }): string {
  return entry.status === 'D' || entry.newPath === '/dev/null' ? entry.oldPath : entry.newPath;
}

async function listEntries(repo: string, base: string, head: string, pathspec: string[] = []) {
  const rangeAndSpec = [base, head, '--', ...pathspec];
  const [raw, numstat] = await Promise.all([
    git(repo, ['diff', '--raw', '-z', '--no-abbrev', ...DIFF_OPTS, ...rangeAndSpec], BIG),
    git(repo, ['diff', '--numstat', '-z', ...DIFF_OPTS, ...rangeAndSpec], BIG),
  ]);
  return { entries: parseRaw(raw.stdout), counts: parseNumstat(numstat.stdout) };
}

/**
 * The diff between two commits of a local repository, one ReviewFile per changed file, with hunks
 * for every text file below the size limit. Big files are excluded from the patch itself (not just
 * dropped after), so a generated 50 MB file does not cost 50 MB of parsing.
 */
export async function localDiff(repo: string, base: string, head: string, limits: DiffLimits = DEFAULT_LIMITS): Promise<ReviewFile[]> {
  const { entries, counts } = await listEntries(repo, base, head);
  const tooLarge = new Set<string>();
  for (const entry of entries) {
    const c = counts.get(entry.newPath);
    if (c && c.additions + c.deletions > limits.maxFileChangedLines) tooLarge.add(keyOf(entry));
  }
  const excludes = [...tooLarge].flatMap((path) => [`:(exclude,literal)${path}`]);
  const patch = entries.length === 0 ? '' : (await git(repo, ['diff', ...DIFF_OPTS, base, head, '--', '.', ...excludes], BIG)).stdout;
  const hunksByPath = new Map(parsePatch(patch).map((f) => [keyOf(f), f] as const));
  return entries.map((entry) => toReviewFile(entry, counts, hunksByPath, tooLarge.has(keyOf(entry))));
}

/** One file's full diff (for a file localDiff marked tooLarge); undefined when the path is not in the diff. */
export async function localFileDiff(repo: string, base: string, head: string, path: string, limits: DiffLimits = DEFAULT_LIMITS): Promise<ReviewFile | undefined> {
  const all = await listEntries(repo, base, head);
  const entry = all.entries.find((e) => keyOf(e) === path) ?? all.entries.find((e) => e.oldPath === path || e.newPath === path);
  if (!entry) return undefined;
  const c = all.counts.get(entry.newPath);
  if (c && c.additions + c.deletions > limits.maxSingleFileChangedLines) return toReviewFile(entry, all.counts, new Map(), true);
  // Both paths, so rename detection still pairs them inside the narrowed pathspec.
  const spec = [...new Set([entry.oldPath, entry.newPath])].map(literal);
  const patch = (await git(repo, ['diff', ...DIFF_OPTS, base, head, '--', ...spec], BIG)).stdout;
  const hunksByPath = new Map(parsePatch(patch).map((f) => [keyOf(f), f] as const));
  return toReviewFile(entry, all.counts, hunksByPath, false);
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
