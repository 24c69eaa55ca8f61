// Loaded with import() the first time a diff needs colours, so Prism and its grammars stay out of
// the bundle that has to parse before the first paint. Only the grammars languages.ts names are
// registered (refractor's default export would register its ~40 common ones, refractor/all ~300).
import type { RootContent } from 'hast';
import { refractor as core } from 'refractor/core';
import bash from 'refractor/bash';
import c from 'refractor/c';
import clike from 'refractor/clike';
import cpp from 'refractor/cpp';
import csharp from 'refractor/csharp';
import css from 'refractor/css';
import diff from 'refractor/diff';
import docker from 'refractor/docker';
import go from 'refractor/go';
import ini from 'refractor/ini';
import java from 'refractor/java';
import javascript from 'refractor/javascript';
import json from 'refractor/json';
import kotlin from 'refractor/kotlin';
import makefile from 'refractor/makefile';
import markdown from 'refractor/markdown';
import markup from 'refractor/markup';
import php from 'refractor/php';
import python from 'refractor/python';
import ruby from 'refractor/ruby';
import rust from 'refractor/rust';
import scss from 'refractor/scss';
import sql from 'refractor/sql';
import swift from 'refractor/swift';
import toml from 'refractor/toml';
import tsx from 'refractor/tsx';
import yaml from 'refractor/yaml';

// refractor/core comes with no grammar of its own; tsx brings jsx and typescript.
for (const grammar of [
  bash,
  c,
  clike,
  cpp,
  csharp,
  css,
  diff,
  docker,
  go,
  ini,
  java,
  javascript,
  json,
  kotlin,
  makefile,
  markdown,
  markup,
  php,
  python,
  ruby,
  rust,
  scss,
  sql,
  swift,
  toml,
  tsx,
  yaml,
]) {
  core.register(grammar);
}

/** What the review needs of refractor: react-diff-view's tokenize calls highlight(). */
export interface Highlighter {
  /** The hast nodes of `code` highlighted with a registered grammar; throws for an unknown language. */
  highlight(code: string, language: string): RootContent[];
  registered(language: string): boolean;
}

/**
 * react-diff-view's tokenize wants highlight() to return an array of nodes (refractor 3's shape);
 * refractor 4 and later return a hast Root, whose children are those nodes.
 */
export const refractor: Highlighter = {
  highlight: (code, language) => core.highlight(code, language).children,
  registered: (language) => core.registered(language),
};
