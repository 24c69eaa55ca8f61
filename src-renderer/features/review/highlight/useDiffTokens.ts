import { useEffect, useState } from 'react';
import { markEdits, tokenize, type ChangeData, type HunkData, type HunkTokens } from 'react-diff-view';
import type { Refractor } from 'refractor/core.js';
import { whenIdle } from './idle-queue';
import { languageOf } from './languages';

/** A file's hunks are tokenized in pieces of about this many lines, one piece per idle slice. */
const CHANGES_PER_PIECE = 300;

/** Tokens per hunks array: react-query keeps the arrays, so a file scrolled back into view is not redone. */
const done = new WeakMap<HunkData[], HunkTokens | null>();

let grammars: Promise<Refractor | null> | undefined;
function loadGrammars(): Promise<Refractor | null> {
  // A chunk that fails to load (it should not) leaves the diff with word-level highlights only.
  grammars ??= import('./grammars').then((m) => m.refractor).catch(() => null);
  return grammars;
}

/** Syntax colours (when the language is known) plus word-level edit marks, for some whole hunks. */
function tokenizePiece(hunks: HunkData[], language: string | null, refractor: Refractor | null): HunkTokens | null {
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
function pieces(hunks: HunkData[]): HunkData[][] {
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
function merge(parts: Array<{ hunks: HunkData[]; tokens: HunkTokens | null }>): HunkTokens {
  const merged: HunkTokens = { old: [], new: [] };
  for (const { hunks, tokens } of parts) {
    if (!tokens) continue;
    for (const change of hunks.flatMap((h) => h.changes as ChangeData[])) {
      const oldLine = change.type === 'insert' ? null : change.type === 'delete' ? change.lineNumber : change.oldLineNumber;
      const newLine = change.type === 'delete' ? null : change.type === 'insert' ? change.lineNumber : change.newLineNumber;
      if (oldLine !== null && tokens.old[oldLine - 1]) merged.old[oldLine - 1] = tokens.old[oldLine - 1]!;
      if (newLine !== null && tokens.new[newLine - 1]) merged.new[newLine - 1] = tokens.new[newLine - 1]!;
    }
  }
  return merged;
}

async function tokenizeWhenIdle(hunks: HunkData[], language: string | null, signal: AbortSignal): Promise<HunkTokens | null> {
  const refractor = language ? await loadGrammars() : null;
  const groups = pieces(hunks);
  const parts: Array<{ hunks: HunkData[]; tokens: HunkTokens | null }> = [];
  for (const group of groups) parts.push({ hunks: group, tokens: await whenIdle(() => tokenizePiece(group, language, refractor), signal) });
  return parts.length === 1 ? (parts[0]?.tokens ?? null) : merge(parts);
}

/**
 * The tokens of a rendered file's diff: null at first (the lines paint as plain text), then syntax
 * colours and word-level edit marks once the page has been idle long enough to compute them. Only
 * files that are mounted ask, and a file that unmounts cancels its request.
 */
export function useDiffTokens(hunks: HunkData[], path: string): HunkTokens | null {
  const [computed, setComputed] = useState<{ hunks: HunkData[]; tokens: HunkTokens | null } | null>(null);
  useEffect(() => {
    if (done.has(hunks)) return;
    const controller = new AbortController();
    tokenizeWhenIdle(hunks, languageOf(path), controller.signal).then(
      (tokens) => {
        done.set(hunks, tokens);
        setComputed({ hunks, tokens });
      },
      () => undefined, // cancelled: the file left the screen
    );
    return () => controller.abort();
  }, [hunks, path]);
  if (done.has(hunks)) return done.get(hunks) ?? null;
  return computed?.hunks === hunks ? computed.tokens : null;
}
