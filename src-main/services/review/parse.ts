import gitDiffParser, { type File as ParsedFile, type Hunk as ParsedHunk } from 'gitdiff-parser';
import type { DiffHunk, ReviewFile } from '../../../src-shared/model/review';

/*
 * Parsing is split by what each source is good at: git's machine formats (--raw -z, --numstat -z)
 * give unambiguous paths, modes, status, similarity and binary flags; gitdiff-parser (the parser
 * react-diff-view itself uses) turns the unified patch into hunks in the exact shape the renderer's
 * <Diff> consumes. Its file headers are not relied on: it splits paths on spaces, misreads an empty
 * new file as a modification and keeps git's trailing tab on paths with spaces.
 */

/** A file pair as `git diff --raw -z` reports it. */
export interface RawEntry {
  status: string;
  oldMode: string;
  newMode: string;
  oldSha: string;
  newSha: string;
  oldPath: string;
  newPath: string;
  similarity?: number;
}

const ZERO_MODE = '000000';

/** Parses `git diff --raw -z --no-abbrev` output. */
export function parseRaw(output: string): RawEntry[] {
  const fields = output.split('\0');
  const entries: RawEntry[] = [];
  const end = readRaw(fields, 0, entries);
  const extra = fields.slice(end).find((f) => f !== '');
  if (extra !== undefined) throw new Error(`unexpected git --raw line: ${extra.slice(0, 200)}`);
  return entries;
}

/**
 * Parses `git diff --raw --numstat -z --no-abbrev` output: one git process lists the files and
 * counts their lines (git prints every raw record, then every numstat record).
 */
export function parseRawAndNumstat(output: string): {
  entries: RawEntry[];
  counts: Map<string, { additions: number; deletions: number } | null>;
} {
  const fields = output.split('\0');
  const entries: RawEntry[] = [];
  const end = readRaw(fields, 0, entries);
  return { entries, counts: readNumstat(fields, end) };
}

/** Reads raw records from `fields[from]` on, up to the first field that is not one; returns where it stopped. */
function readRaw(fields: string[], from: number, entries: RawEntry[]): number {
  let i = from;
  while (i < fields.length) {
    const meta = fields[i] ?? '';
    if (meta === '') {
      i++;
      continue;
    }
    // Raw records start with ':', numstat records with a count or '-': a path is never read here.
    if (!meta.startsWith(':')) break;
    i++;
    const match = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])(\d*)$/.exec(meta);
    if (!match) throw new Error(`unexpected git --raw line: ${meta.slice(0, 200)}`);
    const [, oldMode = '', newMode = '', oldSha = '', newSha = '', status = '', score = ''] = match;
    const first = fields[i++] ?? '';
    // Renames and copies name two paths; everything else one.
    const second = status === 'R' || status === 'C' ? (fields[i++] ?? '') : first;
    entries.push({
      status,
      oldMode,
      newMode,
      oldSha,
      newSha,
      oldPath: first,
      newPath: second,
      ...(score && (status === 'R' || status === 'C') ? { similarity: Number(score) } : {}),
    });
  }
  return i;
}

/** Parses `git diff --numstat -z` output into counts per new path; binary files count as null. */
export function parseNumstat(output: string): Map<string, { additions: number; deletions: number } | null> {
  return readNumstat(output.split('\0'), 0);
}

function readNumstat(fields: string[], from: number): Map<string, { additions: number; deletions: number } | null> {
  const out = new Map<string, { additions: number; deletions: number } | null>();
  for (let i = from; i < fields.length;) {
    const head = fields[i++];
    if (!head) continue;
    const [add = '', del = '', ...rest] = head.split('\t');
    const path = rest.join('\t'); // a path may hold tabs
    // A rename leaves the path empty here and gives old and new path as the next two fields.
    let key = path;
    if (path === '') {
      i++;
      key = fields[i++] ?? '';
    }
    out.set(key, add === '-' || del === '-' ? null : { additions: Number(add), deletions: Number(del) });
  }
  return out;
}

export function fileTypeOf(status: string): ReviewFile['type'] {
  switch (status) {
    case 'A':
      return 'add';
    case 'D':
      return 'delete';
    case 'R':
      return 'rename';
    case 'C':
      return 'copy';
    default:
      return 'modify';
  }
}

/** Parses a unified patch into gitdiff-parser files (hunks are corrected, see fixHunk). */
export function parsePatch(patch: string): ParsedFile[] {
  if (!patch.trim()) return [];
  return gitDiffParser.parse(patch).map((file) => ({
    ...file,
    oldPath: stripTab(file.oldPath),
    newPath: stripTab(file.newPath),
    hunks: file.hunks.map(fixHunk),
  }));
}

/** git appends a tab to ---/+++ paths that contain spaces; gitdiff-parser keeps it. */
function stripTab(path: string): string {
  return path.endsWith('\t') ? path.slice(0, -1) : path;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** gitdiff-parser reads a count of 0 ("+0,0" in a deletion) as 1; the header is the truth. */
export function fixHunk(hunk: ParsedHunk): DiffHunk {
  const m = HUNK_HEADER.exec(hunk.content);
  if (!m) return hunk;
  return {
    ...hunk,
    oldStart: Number(m[1]),
    oldLines: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]),
    newLines: m[4] === undefined ? 1 : Number(m[4]),
  };
}

/** The path a file is known by in lists and cross-checks: the new path, or the old one for a deletion. */
export function displayPath(file: { oldPath: string; newPath: string; type: ReviewFile['type'] }): string {
  return file.type === 'delete' ? file.oldPath : file.newPath;
}

export function countChanges(hunks: DiffHunk[]): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const hunk of hunks) {
    for (const change of hunk.changes) {
      if (change.type === 'insert') additions++;
      else if (change.type === 'delete') deletions++;
    }
  }
  return { additions, deletions };
}

/** A short revision for react-diff-view's keys; the zero id stays recognisable. */
export function shortSha(sha: string): string {
  return /^0+$/.test(sha) ? '0000000' : sha.slice(0, 12);
}

export { ZERO_MODE };
