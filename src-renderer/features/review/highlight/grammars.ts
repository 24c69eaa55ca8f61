// Loaded with import() the first time a diff needs colours, so Prism and its grammars stay out of
// the bundle that has to parse before the first paint. Only the grammars languages.ts names are
// registered (refractor's default export would register all ~280).
import refractor from 'refractor/core.js';
import bash from 'refractor/lang/bash.js';
import c from 'refractor/lang/c.js';
import cpp from 'refractor/lang/cpp.js';
import csharp from 'refractor/lang/csharp.js';
import diff from 'refractor/lang/diff.js';
import docker from 'refractor/lang/docker.js';
import go from 'refractor/lang/go.js';
import ini from 'refractor/lang/ini.js';
import java from 'refractor/lang/java.js';
import json from 'refractor/lang/json.js';
import kotlin from 'refractor/lang/kotlin.js';
import makefile from 'refractor/lang/makefile.js';
import markdown from 'refractor/lang/markdown.js';
import php from 'refractor/lang/php.js';
import python from 'refractor/lang/python.js';
import ruby from 'refractor/lang/ruby.js';
import rust from 'refractor/lang/rust.js';
import scss from 'refractor/lang/scss.js';
import sql from 'refractor/lang/sql.js';
import swift from 'refractor/lang/swift.js';
import toml from 'refractor/lang/toml.js';
import tsx from 'refractor/lang/tsx.js';
import yaml from 'refractor/lang/yaml.js';

// markup, css, clike and javascript come with refractor/core; tsx brings jsx and typescript.
for (const grammar of [
  bash,
  c,
  cpp,
  csharp,
  diff,
  docker,
  go,
  ini,
  java,
  json,
  kotlin,
  makefile,
  markdown,
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
  refractor.register(grammar);
}

export { refractor };
