import { getChangeKey, type ChangeData } from 'react-diff-view';
import type { DiffPosition, ReviewFile, ReviewNote } from '../../../src-shared/model/review';

/** Where a comment on this changed line goes on GitLab: added lines by new number, removed by old, context by both. */
export function positionOf(file: ReviewFile, change: ChangeData): DiffPosition {
  const path = file.type === 'delete' ? file.oldPath : file.newPath;
  if (change.type === 'insert') return { path, newLine: change.lineNumber };
  if (change.type === 'delete') return { path, oldLine: change.lineNumber };
  return { path, newLine: change.newLineNumber, oldLine: change.oldLineNumber };
}

function linesOf(change: ChangeData): { oldLine?: number; newLine?: number } {
  if (change.type === 'insert') return { newLine: change.lineNumber };
  if (change.type === 'delete') return { oldLine: change.lineNumber };
  return { oldLine: change.oldLineNumber, newLine: change.newLineNumber };
}

/**
 * Line comments of one file, keyed by react-diff-view's change key, so they show as widgets under
 * their line. A note matches the change whose line numbers agree with every number the note has.
 */
export function notesByChange(file: ReviewFile, notes: readonly ReviewNote[]): Map<string, ReviewNote[]> {
  const mine = notes.filter(
    (n) => n.position && (n.position.path === file.newPath || n.position.path === file.oldPath),
  );
  const result = new Map<string, ReviewNote[]>();
  if (mine.length === 0) return result;
  const changes = file.hunks.flatMap((h) => h.changes as ChangeData[]);
  for (const note of mine) {
    const pos = note.position!;
    const change = changes.find((c) => {
      const l = linesOf(c);
      if (pos.newLine !== null && l.newLine !== pos.newLine) return false;
      if (pos.oldLine !== null && l.oldLine !== pos.oldLine) return false;
      return pos.newLine !== null || pos.oldLine !== null;
    });
    if (!change) continue;
    const key = getChangeKey(change);
    result.set(key, [...(result.get(key) ?? []), note]);
  }
  return result;
}

/** The display path of a file: "old → new" for renames. */
export function displayPath(file: ReviewFile): string {
  if (file.type === 'rename' && file.oldPath !== file.newPath) return `${file.oldPath} → ${file.newPath}`;
  return file.type === 'delete' ? file.oldPath : file.newPath;
}

/**
 * How many rows a file's diff has: used to estimate its height before it is measured. A deferred
 * file has no hunks yet; its changed lines plus a little context stand in for them.
 */
export function rowCount(file: ReviewFile): number {
  if (file.deferred) return file.additions + file.deletions + DEFERRED_EXTRA_ROWS;
  return file.hunks.reduce((n, h) => n + h.changes.length + 1, 0);
}

/** A hunk header and the context lines around a deferred file's changes, guessed. */
const DEFERRED_EXTRA_ROWS = 4;

/** The path main knows a file by (fileDiffs, fileDiff): the old one for a deleted file. */
export function pathOf(file: ReviewFile): string {
  return file.type === 'delete' ? file.oldPath : file.newPath;
}

/** The page's CSP loads images over https only; an http avatar would be blocked, so initials show instead. */
export function safeAvatar(url: string | null): string | null {
  return url && url.startsWith('https:') ? url : null;
}
