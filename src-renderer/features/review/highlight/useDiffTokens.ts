import { useEffect, useState } from 'react';
import type { HunkData, HunkTokens } from 'react-diff-view';
import type { Highlighter } from './grammars';
import { whenIdle } from './idle-queue';
import { languageOf } from './languages';
import { merge, pieces, tokenizePiece } from './tokenize';

/** Tokens per hunks array: react-query keeps the arrays, so a file scrolled back into view is not redone. */
const done = new WeakMap<HunkData[], HunkTokens | null>();

let grammars: Promise<Highlighter | null> | undefined;
function loadGrammars(): Promise<Highlighter | null> {
  // A chunk that fails to load (it should not) leaves the diff with word-level highlights only.
  grammars ??= import('./grammars').then((m) => m.refractor).catch(() => null);
  return grammars;
}

async function tokenizeWhenIdle(
  hunks: HunkData[],
  language: string | null,
  signal: AbortSignal,
): Promise<HunkTokens | null> {
  const refractor = language ? await loadGrammars() : null;
  const groups = pieces(hunks);
  const parts: Array<{ hunks: HunkData[]; tokens: HunkTokens | null }> = [];
  for (const group of groups)
    parts.push({ hunks: group, tokens: await whenIdle(() => tokenizePiece(group, language, refractor), signal) });
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
