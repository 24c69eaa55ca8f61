import { markEdits, tokenize, type ChangeData, type HunkData, type HunkTokens } from 'react-diff-view';
import type { Highlighter } from './grammars';

/*
 * Tokenizing a diff in pieces of whole hunks (plain functions, no React): each piece is small
 * enough for one idle slice, and the pieces' tokens merge into what tokenizing at once would give.
 */

/** A file's hunks are tokenized in pieces of about this many lines, one piece per idle slice. */
export const CHANGES_PER_PIECE = 300;

/** Syntax colours (when the language is known) plus word-level edit marks, for some whole hunks. */
export function tokenizePiece(
  hunks: HunkData[],
  language: string | null,
  refractor: Highlighter | null,
): HunkTokens | null {
  const enhancers = [markEdits(hunks, { type: 'block' })];
  if (language && refractor) {
    try {
      return tokenize(hunks, { highlight: true, refractor, language, enhancers });
    } catch {
      // A grammar that chokes on a fragment of a file: fall through to edit marks only.
    }
  }
  try {
    return tokenize(hunks, { enhancers });
  } catch {
    return null;
  }
}

/** Whole hunks grouped so each group has about CHANGES_PER_PIECE lines (a huge hunk stays alone). */
export function pieces(hunks: HunkData[]): HunkData[][] {
  const result: HunkData[][] = [];
  let current: HunkData[] = [];
  let size = 0;
  for (const hunk of hunks) {
    if (current.length > 0 && size + hunk.changes.length > CHANGES_PER_PIECE) {
      result.push(current);
      current = [];
      size = 0;
    }
    current.push(hunk);
    size += hunk.changes.length;
  }
  if (current.length > 0) result.push(current);
  return result;
}

/** Token lines are indexed by line number − 1 on each side; a piece fills only its own lines. */
export function merge(parts: Array<{ hunks: HunkData[]; tokens: HunkTokens | null }>): HunkTokens {
  const merged: HunkTokens = { old: [], new: [] };
  for (const { hunks, tokens } of parts) {
    if (!tokens) continue;
    for (const change of hunks.flatMap((h) => h.changes as ChangeData[])) {
      const oldLine =
        change.type === 'insert' ? null : change.type === 'delete' ? change.lineNumber : change.oldLineNumber;
      const newLine =
        change.type === 'delete' ? null : change.type === 'insert' ? change.lineNumber : change.newLineNumber;
      if (oldLine !== null && tokens.old[oldLine - 1]) merged.old[oldLine - 1] = tokens.old[oldLine - 1]!;
      if (newLine !== null && tokens.new[newLine - 1]) merged.new[newLine - 1] = tokens.new[newLine - 1]!;
    }
  }
  return merged;
}
