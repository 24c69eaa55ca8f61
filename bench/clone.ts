/**
 * Clone benchmark: a repository like a mid-sized product (≈5,000 files, 500 commits)
 * served by the GitLab stand-in over smart HTTP (or, while it is missing, by git http-backend),
 * cloned by the plain `git clone`, the app's git path and the app's isomorphic-git path, in
 * alternating order, several rounds; medians of time and of peak memory, and the ratios against
 * the plain CLI. A CPU profile of one isomorphic-git clone shows where its time goes.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile, chmod, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGitService } from '../src-main/services/git';
import { createLogger } from '../src-main/platform/logger';
import { startGitHttpServer } from '../test/integration/git/support/git-http-server';
import { createLargeRepo } from '../test/integration/git/support/repos';
import { summariseProfile } from './profile';
import { median, result, type BenchResult } from './types';

const here = dirname(fileURLToPath(import.meta.url));
const FILES = Number(process.env.BENCH_CLONE_FILES ?? 5000);
const COMMITS = Number(process.env.BENCH_CLONE_COMMITS ?? 500);
const ROUNDS = Number(process.env.BENCH_CLONE_ROUNDS ?? 5);
const TIME = '/usr/bin/time';

interface Server {
  url: string;
  token: string;
  source: string;
  close(): Promise<void>;
}

/** The generated repository, cached between runs (generation takes a while). */
export async function benchRepo(): Promise<string> {
  const bare = join(tmpdir(), 'cospec-bench', `repo-${FILES}f-${COMMITS}c-v2.git`);
  if (existsSync(join(bare, 'cospec-bench-ready'))) return bare;
  await rm(bare, { recursive: true, force: true });
  await mkdir(dirname(bare), { recursive: true });
  process.stderr.write(`bench: generating a repository of ${FILES} files and ${COMMITS} commits…\n`);
  await createLargeRepo(bare, { files: FILES, commits: COMMITS, perCommit: 12, fileBytes: 4000 });
  await writeFile(join(bare, 'cospec-bench-ready'), '');
  return bare;
}

interface StandInModule {
  startGitLabStandIn(options?: { tls?: boolean }): Promise<{
    url: string;
    user(name: string): { token: string };
    repoDir(path: string): string;
    close(): Promise<void>;
  }>;
}

export async function serve(bare: string): Promise<Server> {
  const standInFile = join(here, '..', 'tools', 'gitlab-standin', 'index.ts');
  if (existsSync(standInFile)) {
    try {
      const { startGitLabStandIn } = (await import(standInFile)) as StandInModule;
      const standIn = await startGitLabStandIn();
      const target = standIn.repoDir('acme/web-app');
      await rm(target, { recursive: true, force: true });
      await cp(bare, target, { recursive: true });
      return {
        url: `${standIn.url}/acme/web-app.git`,
        token: standIn.user('cospec-bot').token,
        source: 'GitLab stand-in',
        close: () => standIn.close(),
      };
    } catch (error) {
      process.stderr.write(
        `bench: the GitLab stand-in did not start (${String(error)}); serving with git http-backend instead\n`,
      );
    }
  }
  const root = dirname(bare);
  const token = 'bench-token-0000';
  const server = await startGitHttpServer({ root, token });
  return {
    url: `${server.url}/${bare.slice(root.length + 1)}`,
    token,
    source: 'git http-backend',
    close: () => server.close(),
  };
}

/**
 * The clone process as the app ships it: bench/clone-worker.ts and the isomorphic-git worker
 * bundled to JavaScript side by side (the app's build puts isomorphic-worker.js next to the main
 * bundle the same way), run with plain `node`. Under tsx the process would also carry tsx's
 * loader thread (tens of MB of RSS, and main-thread waits while it compiles the worker's
 * modules), which is not the app's cost. Inside node_modules so package imports resolve.
 */
async function bundleCloneProcess(): Promise<string> {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as { build(o: Record<string, unknown>): Promise<unknown> };
  const outdir = join(here, '..', 'node_modules', '.cache', 'cospec-bench');
  await esbuild.build({
    entryPoints: {
      'clone-worker': join(here, 'clone-worker.ts'),
      'isomorphic-worker': join(here, '..', 'src-main', 'services', 'git', 'isomorphic-worker.ts'),
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  return join(outdir, 'clone-worker.mjs');
}

/** Peak resident memory in KB, as GNU time saw it (the largest of a process and its children). */
async function peakKbFrom(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const values = text
    .split('\n')
    .map((l) => Number.parseInt(l, 10))
    .filter((n) => Number.isFinite(n));
  return values.length ? Math.max(...values) : Number.NaN;
}

function spawnWait(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type Variant = 'cli' | 'app-git' | 'app-isomorphic' | 'stock-isomorphic';
interface Sample {
  ms: number;
  peakMb: number;
  /** Longest stall of the calling thread's event loop (in the app, the main thread); not measured for app-git. */
  stallMs?: number;
}

interface CloneProcessOutput {
  ms: number;
  maxRssKb: number;
  cpuMs: number;
  loopDelay: { maxMs: number; p99Ms: number };
}

export async function benchClone(): Promise<BenchResult[]> {
  const hasTime = existsSync(TIME);
  const bare = await benchRepo();
  const packBytes = (
    await Promise.all(
      (await readdir(join(bare, 'objects', 'pack'))).map((f) =>
        stat(join(bare, 'objects', 'pack', f)).then((s) => s.size),
      ),
    )
  ).reduce((a, b) => a + b, 0);
  const server = await serve(bare);
  const cloneProcess = await bundleCloneProcess();
  const work = await mkdtemp(join(tmpdir(), 'cospec-bench-clone-'));
  const samples: Record<Variant, Sample[]> = { cli: [], 'app-git': [], 'app-isomorphic': [], 'stock-isomorphic': [] };
  try {
    // The app's git path runs git under GNU time through a wrapper, to read git's own peak memory.
    const memFile = join(work, 'app-git.mem');
    const wrapper = join(work, 'git-timed');
    await writeFile(
      wrapper,
      hasTime ? `#!/bin/sh\nexec ${TIME} -f %M -a -o '${memFile}' git "$@"\n` : '#!/bin/sh\nexec git "$@"\n',
    );
    await chmod(wrapper, 0o755);
    const service = createGitService({ logger: createLogger({ level: 'error' }), gitPath: wrapper });
    const credentials = async () => ({ username: 'oauth2', password: server.token });
    /** One clone in a fresh `node` process (see clone-worker.ts); its time is measured inside it. */
    const inProcess = async (job: Record<string, string>, extraArgs: string[] = []): Promise<CloneProcessOutput> => {
      const r = await spawnWait(
        process.execPath,
        [...extraArgs, cloneProcess, JSON.stringify({ url: server.url, token: server.token, ...job })],
        process.env,
      );
      if (r.code !== 0) throw new Error(`${job.engine} clone failed: ${r.stderr}`);
      return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as CloneProcessOutput;
    };

    const once: Record<Variant, (dir: string) => Promise<Sample>> = {
      async cli(dir) {
        // Plain git spawned from Node: the baseline for both git's memory and the caller's stall.
        const mem = join(work, 'cli.mem');
        await rm(mem, { force: true });
        const out = await inProcess({ dir, engine: 'cli', ...(hasTime ? { timeFile: mem } : {}) });
        return { ms: out.ms, peakMb: (await peakKbFrom(mem)) / 1024, stallMs: out.loopDelay.maxMs };
      },
      async 'app-git'(dir) {
        await rm(memFile, { force: true });
        const started = performance.now();
        await service.clone({ url: server.url, dir, engine: 'git', credentials });
        const ms = performance.now() - started;
        return { ms, peakMb: (await peakKbFrom(memFile)) / 1024 };
      },
      async 'app-isomorphic'(dir) {
        const out = await inProcess({ dir, engine: 'isomorphic-git' });
        return { ms: out.ms, peakMb: out.maxRssKb / 1024, stallMs: out.loopDelay.maxMs };
      },
      async 'stock-isomorphic'(dir) {
        const out = await inProcess({ dir, engine: 'stock-isomorphic-git' });
        return { ms: out.ms, peakMb: out.maxRssKb / 1024, stallMs: out.loopDelay.maxMs };
      },
    };

    const variants: Variant[] = ['cli', 'app-git', 'app-isomorphic', 'stock-isomorphic'];
    // A warm-up clone per variant (page cache, JIT of the worker path) is not counted.
    for (const v of variants) await once[v](join(work, `warm-${v}`));
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order so no variant always runs first (or right after a heavy one).
      const order = variants.map((_, i) => variants[(i + round) % variants.length] as Variant);
      for (const v of order) {
        const dir = join(work, `r${round}-${v}`);
        const sample = await once[v](dir);
        samples[v].push(sample);
        const stall = sample.stallMs === undefined ? '' : `, caller stalled ≤ ${sample.stallMs.toFixed(0)} ms`;
        process.stderr.write(
          `bench: clone round ${round + 1}/${ROUNDS} ${v}: ${(sample.ms / 1000).toFixed(2)} s, ${sample.peakMb.toFixed(0)} MB${stall}\n`,
        );
        await rm(dir, { recursive: true, force: true });
      }
    }
    await printProfile(work, inProcess);
  } finally {
    await server.close();
    await rm(work, { recursive: true, force: true });
  }

  const t = (v: Variant) => median(samples[v].map((s) => s.ms)) / 1000;
  const m = (v: Variant) => median(samples[v].map((s) => s.peakMb));
  const stall = (v: Variant) => median(samples[v].map((s) => s.stallMs ?? Number.NaN));
  const what = `${FILES} files, ${COMMITS} commits, ${(packBytes / 1e6).toFixed(1)} MB pack, from the ${server.source}; median of ${ROUNDS} alternating runs`;
  const cli = 'git clone (CLI)';
  return [
    result({
      name: 'clone time: app git path',
      baseline: cli,
      baselineValue: t('cli'),
      value: t('app-git'),
      unit: 's',
      target: 1.15,
      note: what,
    }),
    result({
      name: 'clone time: app isomorphic-git path',
      baseline: cli,
      baselineValue: t('cli'),
      value: t('app-isomorphic'),
      unit: 's',
      target: 4,
      note: 'pack indexing and checkout on a worker thread; the clone process runs bundled JavaScript under plain node, as the app does',
    }),
    result({
      name: "clone caller's longest stall: app isomorphic-git path",
      baseline: 'git clone (CLI) spawned from Node',
      baselineValue: stall('cli'),
      value: stall('app-isomorphic'),
      unit: 'ms',
      note: "the calling thread's longest event-loop delay during the clone (perf_hooks monitorEventLoopDelay, 10 ms resolution), median over runs; in the app that thread is the Electron main thread",
    }),
    result({
      name: 'clone peak memory: app git path',
      baseline: cli,
      baselineValue: m('cli'),
      value: m('app-git'),
      unit: 'MB',
      note: hasTime ? 'peak RSS of the git processes (GNU time)' : 'GNU time missing: no memory figures',
    }),
    result({
      name: 'clone peak memory: app isomorphic-git path',
      baseline: cli,
      baselineValue: m('cli'),
      value: m('app-isomorphic'),
      unit: 'MB',
      note: `peak RSS (high-water, getrusage) of the Node process doing only the clone, worker thread included; target under 200 MB: ${m('app-isomorphic') < 200 ? 'met' : 'NOT met'}`,
    }),
    result({
      name: 'clone time: app isomorphic-git path vs stock isomorphic-git',
      baseline: 'stock isomorphic-git clone',
      baselineValue: t('stock-isomorphic'),
      value: t('app-isomorphic'),
      unit: 's',
      note: `what the streamed pack path earns over isomorphic-git as it ships (its http client, indexing and checkout in one thread; peak ${m('stock-isomorphic').toFixed(0)} MB vs ${m('app-isomorphic').toFixed(0)} MB); below 1 means the app's path is faster`,
    }),
  ];
}

/** One profiled isomorphic-git clone: prints where its time goes (self time by package and function). */
async function printProfile(
  work: string,
  inProcess: (job: Record<string, string>, extraArgs?: string[]) => Promise<CloneProcessOutput>,
): Promise<void> {
  const profDir = join(work, 'profile');
  await mkdir(profDir, { recursive: true });
  const ok = await inProcess({ dir: join(work, 'profiled'), engine: 'isomorphic-git' }, [
    '--cpu-prof',
    '--cpu-prof-dir',
    profDir,
  ]).then(
    () => true,
    () => false,
  );
  if (!ok) return;
  const summary = await summariseProfile(profDir);
  if (!summary) return;
  const lines = [
    `bench: where the isomorphic-git clone spends its time (CPU profile, ${(summary.totalMs / 1000).toFixed(2)} s sampled):`,
    ...summary.byPackage.map((p) => `  ${((100 * p.ms) / summary.totalMs).toFixed(1).padStart(5)}%  ${p.name}`),
    '  top functions (self time):',
    ...summary.byFunction.map((f) => `  ${((100 * f.ms) / summary.totalMs).toFixed(1).padStart(5)}%  ${f.name}`),
  ];
  process.stderr.write(lines.join('\n') + '\n');
}
