#!/usr/bin/env node
// The `cospec` command: runs the CLI from the TypeScript sources in this checkout.
//
// Loading ~200 source files through tsx's loader hooks costs seconds of CPU on every call (tens of
// seconds on a busy machine), so the CLI is bundled once with esbuild (a devDependency, like tsx)
// and the bundle is reused until a source file it was built from changes. If bundling is not
// possible, the sources run through tsx as before.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const entry = join(repoRoot, 'src-main', 'cli', 'index.ts');

const main = (await loadBundled()) ?? (await loadWithTsx());
process.exit(await main(process.argv.slice(2)));

async function loadWithTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src-main/cli/index.ts')).main;
}

function digest(text) {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The bundle's inputs and their content hashes; unchanged inputs mean the bundle is current. */
function isCurrent(manifest) {
  if (!manifest || typeof manifest.bundle !== 'string' || !existsSync(manifest.bundle)) return false;
  try {
    return Object.entries(manifest.inputs).every(([file, hash]) => digest(readFileSync(file)) === hash);
  } catch {
    return false;
  }
}

async function loadBundled() {
  try {
    // Inside node_modules, so the bundle's package imports resolve like the sources' do; one manifest
    // per checkout (worktrees may share node_modules), bundles named by content so concurrent calls
    // can write the same file without harm.
    const dir = join(repoRoot, 'node_modules', '.cache', 'cospec-cli');
    const manifestFile = join(dir, `${digest(repoRoot)}.json`);
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    } catch {
      manifest = undefined;
    }
    if (!isCurrent(manifest)) manifest = await build(dir, manifestFile);
    return (await import(pathToFileURL(manifest.bundle).href)).main;
  } catch {
    return undefined;
  }
}

async function build(dir, manifestFile) {
  const esbuild = await import('esbuild');
  // Sources locate files next to themselves (resources/, the git worker) through import.meta.url;
  // in a bundle that would be the bundle's location, so each file keeps its own URL.
  const keepOwnUrl = {
    name: 'keep-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?ts$/ }, (args) => {
        if (args.path.split(/[\\/]/).includes('node_modules')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        return {
          contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
          loader: 'ts',
        };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [keepOwnUrl],
  });
  const text = result.outputFiles[0].text;
  const inputs = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const file = resolve(repoRoot, input);
    inputs[file] = digest(readFileSync(file));
  }
  mkdirSync(dir, { recursive: true });
  const bundle = join(dir, `cli-${digest(text)}.mjs`);
  writeAtomically(bundle, text);
  const manifest = { bundle, inputs };
  writeAtomically(manifestFile, JSON.stringify(manifest));
  return manifest;
}

function writeAtomically(file, text) {
  const temp = `${file}.${process.pid}.tmp`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(temp, text);
  renameSync(temp, file);
}
