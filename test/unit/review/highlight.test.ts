import { beforeAll, describe, expect, it } from 'vitest';
import { parseDiff, type HunkData, type HunkTokens, type TokenNode } from 'react-diff-view';
import { refractor } from '../../../src-renderer/features/review/highlight/grammars';
import { languageOf } from '../../../src-renderer/features/review/highlight/languages';
import {
  CHANGES_PER_PIECE,
  merge,
  pieces,
  tokenizePiece,
} from '../../../src-renderer/features/review/highlight/tokenize';

/** A real `git diff` of a TypeScript file with two hunks far apart, the second one large. */
function twoHunkDiff(): HunkData[] {
  const lines = (from: number, count: number, mark: string, text: (i: number) => string) =>
    Array.from({ length: count }, (_, i) => `${mark}${text(from + i)}`);
  const big = CHANGES_PER_PIECE; // enough for the second hunk to make a piece of its own
  const patch = [
    'diff --git a/src/app.ts b/src/app.ts',
    'index 1111111..2222222 100644',
    '--- a/src/app.ts',
    '+++ b/src/app.ts',
    '@@ -1,3 +1,3 @@',
    ' // A comment.',
    "-export const name = 'old';",
    "+export const name = 'new';",
    ' export function f(): void {}',
    `@@ -1001,${big} +1001,${big} @@`,
    ...lines(1001, big, '-', (i) => `const v${i} = ${i};`),
    ...lines(1001, big, '+', (i) => `let v${i} = "${i}";`),
  ].join('\n');
  return parseDiff(patch)[0]!.hunks;
}

/** Token trees without empty text nodes, which render nothing (a piece's last line lacks one the whole file has). */
function visible(nodes: TokenNode[] | undefined): unknown[] {
  return (nodes ?? [])
    .filter((n) => !(n.type === 'text' && n.value === ''))
    .map((n) =>
      'children' in n && Array.isArray(n.children) ? { ...n, children: visible(n.children as TokenNode[]) } : n,
    );
}

/**
 * The text of a line with the Prism classes each run of it carries, leaving out word-level edit
 * marks: react-diff-view finds those with diff-match-patch under its default 1-second deadline, so
 * on a busy machine a large block gets coarser marks from one call to the next.
 */
function syntaxOnly(nodes: TokenNode[] | undefined): Array<[string, string]> {
  const runs: Array<[string, string]> = [];
  const walk = (list: readonly unknown[], classes: string) => {
    for (const n of list as Array<{
      type: string;
      value?: string;
      properties?: { className?: string[] };
      children?: unknown[];
    }>) {
      const own =
        n.type === 'element' ? [classes, ...(n.properties?.className ?? [])].filter(Boolean).join(' ') : classes;
      if (n.type === 'text' && n.value) {
        const last = runs.at(-1);
        if (last && last[0] === classes) last[1] += n.value;
        else runs.push([classes, n.value]);
      }
      if (n.children) walk(n.children, own);
    }
  };
  walk(nodes ?? [], '');
  return runs;
}

function classesOf(nodes: TokenNode[] | undefined): string[] {
  const out: string[] = [];
  const walk = (list: readonly unknown[]) => {
    for (const n of list as Array<{ properties?: { className?: string[] }; children?: unknown[] }>) {
      out.push(...(n.properties?.className ?? []));
      if (n.children) walk(n.children);
    }
  };
  walk(nodes ?? []);
  return out;
}

describe('review diff highlighting', () => {
  it('picks the grammar from the file name, and none for unknown files', () => {
    expect(languageOf('src/app.ts')).toBe('typescript');
    expect(languageOf('web/App.TSX')).toBe('tsx');
    expect(languageOf('Dockerfile')).toBe('docker');
    expect(languageOf('ci/Dockerfile.build')).toBe('docker');
    expect(languageOf('docs/guide.md')).toBe('markdown');
    expect(languageOf('LICENSE')).toBe(null);
    expect(languageOf('data.unknownext')).toBe(null);
    expect(languageOf('.gitignore')).toBe(null);
    // Every grammar the map names is registered in the lazily loaded chunk.
    for (const path of [
      'a.ts',
      'a.tsx',
      'a.js',
      'a.jsx',
      'a.json',
      'a.md',
      'a.css',
      'a.scss',
      'a.html',
      'a.py',
      'a.rb',
      'a.go',
      'a.rs',
      'a.java',
      'a.kt',
      'a.c',
      'a.cpp',
      'a.cs',
      'a.sh',
      'a.yml',
      'a.toml',
      'a.ini',
      'a.sql',
      'a.php',
      'a.swift',
      'a.diff',
      'Makefile',
      'Dockerfile',
    ]) {
      expect(refractor.registered(languageOf(path)!), path).toBe(true);
    }
  });

  // Tokenizing the 600-line hunk (Prism plus word-level edit marks) takes seconds of CPU on a loaded
  // machine: each way of tokenizing runs once here, with room for that, and the checks only compare.
  let hunks: HunkData[];
  let whole: HunkTokens;
  let plain: HunkTokens;
  let groups: HunkData[][];
  let merged: HunkTokens;
  beforeAll(() => {
    hunks = twoHunkDiff();
    whole = tokenizePiece(hunks, 'typescript', refractor)!;
    plain = tokenizePiece(hunks, null, null)!;
    groups = pieces(hunks);
    merged = merge(groups.map((g) => ({ hunks: g, tokens: tokenizePiece(g, 'typescript', refractor) })));
  }, 120_000);

  it('gives Prism tokens for a TypeScript diff, and edit marks only without a grammar', () => {
    expect(classesOf(whole.new[1])).toEqual(expect.arrayContaining(['token', 'keyword', 'string']));
    expect(classesOf(whole.old[0])).toContain('comment');
    expect(classesOf(plain.new[1])).not.toContain('keyword');
  });

  it('tokenizes in pieces of whole hunks that merge into what tokenizing at once gives', () => {
    expect(groups.map((g) => g.length)).toEqual([1, 1]);
    for (const line of [1, 2, 3]) {
      expect(visible(merged.new[line - 1]), `new line ${line}`).toEqual(visible(whole.new[line - 1]));
      expect(visible(merged.old[line - 1]), `old line ${line}`).toEqual(visible(whole.old[line - 1]));
    }
    // The large hunk's edit marks depend on how busy the machine is (see syntaxOnly): its text and colours must match.
    for (const line of [1001, 1100, 1000 + CHANGES_PER_PIECE]) {
      expect(syntaxOnly(merged.new[line - 1]), `new line ${line}`).toEqual(syntaxOnly(whole.new[line - 1]));
      expect(syntaxOnly(merged.old[line - 1]), `old line ${line}`).toEqual(syntaxOnly(whole.old[line - 1]));
      expect(syntaxOnly(merged.new[line - 1]).length, `new line ${line} has tokens`).toBeGreaterThan(1);
    }
  });
});
