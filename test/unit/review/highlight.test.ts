import { describe, expect, it } from 'vitest';
import { parseDiff, type HunkData, type TokenNode } from 'react-diff-view';
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

  it('gives Prism tokens for a TypeScript diff, and edit marks only without a grammar', () => {
    const hunks = twoHunkDiff();
    const coloured = tokenizePiece(hunks, 'typescript', refractor)!;
    expect(classesOf(coloured.new[1])).toEqual(expect.arrayContaining(['token', 'keyword', 'string']));
    expect(classesOf(coloured.old[0])).toContain('comment');
    const plain = tokenizePiece(hunks, null, null)!;
    expect(classesOf(plain.new[1])).not.toContain('keyword');
  });

  it('tokenizes in pieces of whole hunks that merge into what tokenizing at once gives', () => {
    const hunks = twoHunkDiff();
    const groups = pieces(hunks);
    expect(groups.map((g) => g.length)).toEqual([1, 1]);
    const merged = merge(groups.map((g) => ({ hunks: g, tokens: tokenizePiece(g, 'typescript', refractor) })));
    const whole = tokenizePiece(hunks, 'typescript', refractor)!;
    for (const line of [1, 2, 3, 1001, 1100, 1000 + CHANGES_PER_PIECE]) {
      expect(visible(merged.new[line - 1]), `new line ${line}`).toEqual(visible(whole.new[line - 1]));
      expect(visible(merged.old[line - 1]), `old line ${line}`).toEqual(visible(whole.old[line - 1]));
    }
  });
});
