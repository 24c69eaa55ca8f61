import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gitEnv } from '../../../support/git-cli';

const run = promisify(execFile);

export async function git(args: string[], cwd?: string): Promise<string> {
  const { stdout } = await run('git', args, { cwd, env: gitEnv, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

export async function scratchDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * A bare repository `<root>/<name>.git` with a main branch (default), a `feature/login` branch,
 * a tag, `files` text files and `commits` commits on main: small enough for quick tests, big
 * enough that a pack takes more than one chunk to arrive.
 */
export async function createFixtureRepo(
  root: string,
  name: string,
  opts: { files?: number; commits?: number; lfs?: boolean } = {},
): Promise<{ bare: string; mainHead: string; featureHead: string }> {
  const work = await mkdtemp(join(tmpdir(), 'fixture-work-'));
  await git(['init', '-q', '-b', 'main', work]);
  const files = opts.files ?? 200;
  for (let i = 0; i < files; i++) {
    const dir = join(work, 'src', `m${i % 10}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `file${i}.txt`), `file ${i}\n${pseudoRandomText(i, 2048)}\n`);
  }
  if (opts.lfs) await writeFile(join(work, '.gitattributes'), '*.bin filter=lfs diff=lfs merge=lfs -text\n');
  await writeFile(join(work, 'README.md'), `# ${name}\n`);
  await git(['add', '-A'], work);
  await git(['commit', '-q', '-m', 'initial'], work);
  for (let c = 1; c < (opts.commits ?? 5); c++) {
    await writeFile(join(work, 'CHANGELOG.md'), `change ${c}\n`);
    await git(['add', '-A'], work);
    await git(['commit', '-q', '-m', `change ${c}`], work);
  }
  await git(['tag', 'v1.0'], work);
  await git(['checkout', '-q', '-b', 'feature/login'], work);
  await writeFile(join(work, 'login.txt'), 'login feature\n');
  await git(['add', '-A'], work);
  await git(['commit', '-q', '-m', 'login'], work);
  const featureHead = await git(['rev-parse', 'HEAD'], work);
  await git(['checkout', '-q', 'main'], work);
  const mainHead = await git(['rev-parse', 'HEAD'], work);
  const bare = join(root, `${name}.git`);
  await mkdir(join(bare, '..'), { recursive: true });
  await git(['clone', '-q', '--bare', work, bare]);
  return { bare, mainHead, featureHead };
}

/** Deterministic text that compresses like source code rather than like zeros. */
export function pseudoRandomText(seed: number, length: number): string {
  const words = [
    'const',
    'return',
    'function',
    'value',
    'index',
    'await',
    'import',
    'export',
    'type',
    'string',
    'number',
    'if',
    'else',
    'for',
    'of',
    'new',
  ];
  let x = (seed * 2654435761) >>> 0 || 1;
  const out: string[] = [];
  let size = 0;
  while (size < length) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const word = x % 5 === 0 ? (x >>> 8).toString(36) : (words[x % words.length] ?? 'x');
    out.push(word);
    size += word.length + 1;
    if (x % 11 === 0) out.push('\n');
  }
  return out.join(' ');
}

/**
 * A large repository built with git fast-import (seconds instead of minutes): `files` files in the
 * first commit, then `commits - 1` commits each changing `perCommit` files. Used by the benchmark.
 */
export async function createLargeRepo(
  bare: string,
  opts: { files: number; commits: number; perCommit: number; fileBytes: number },
): Promise<void> {
  await git(['init', '-q', '--bare', '-b', 'main', bare]);
  const child = spawn('git', ['fast-import', '--quiet'], {
    cwd: bare,
    env: { ...gitEnv, GIT_DIR: bare },
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const done = new Promise<void>((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import exited ${code}`)))),
  );
  const write = (s: string) =>
    new Promise<void>((resolve) => (child.stdin.write(s) ? resolve() : child.stdin.once('drain', () => resolve())));
  const blob = async (path: string, content: string) => {
    const data = Buffer.from(content);
    await write(`M 100644 inline ${path}\ndata ${data.length}\n`);
    await write(content + '\n');
  };
  const pathOf = (i: number) => `src/pkg${i % 50}/sub${(i >> 4) % 8}/file${i}.ts`;
  let time = 1_700_000_000;
  for (let c = 0; c < opts.commits; c++) {
    const message = c === 0 ? 'initial import' : `change ${c}`;
    await write(
      `commit refs/heads/main\ncommitter Bench <bench@test.invalid> ${time++} +0000\ndata ${Buffer.byteLength(message)}\n${message}\n`,
    );
    if (c === 0) {
      for (let i = 0; i < opts.files; i++) await blob(pathOf(i), pseudoRandomText(i + 1, opts.fileBytes));
    } else {
      for (let k = 0; k < opts.perCommit; k++) {
        const i = (c * 7919 + k * 104729) % opts.files;
        await blob(
          pathOf(i),
          pseudoRandomText(i + 1, opts.fileBytes) + `\n// revision ${c}\n` + pseudoRandomText(c * 1000 + k, 200),
        );
      }
    }
  }
  child.stdin.end();
  await done;
  // One pack as a server would have it, so every clone serves the same bytes.
  await git(['repack', '-a', '-d', '-q'], bare);
}
