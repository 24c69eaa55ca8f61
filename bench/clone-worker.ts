/**
 * One clone in a fresh Node process, so its peak memory is the clone's alone (process RSS
 * high-water: the isomorphic-git worker thread lives in this process, so it is counted). Prints
 * one JSON line: { ms, maxRssKb, cpuMs, engine, loopDelay: { maxMs, p99Ms } }. bench/clone.ts runs
 * it as bundled JavaScript with plain `node`, as the app ships it (no tsx loader in the process).
 * Engine `cli` spawns the plain `git clone` (under GNU time when given), the baseline for how
 * long the calling thread stalls. Not a public entry point.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createGitService } from '../src-main/services/git';
import { createLogger } from '../src-main/platform/logger';

interface Job {
  url: string;
  dir: string;
  token: string;
  engine: 'git' | 'isomorphic-git' | 'cli' | 'stock-isomorphic-git';
  /** For `cli`: write git's peak memory here with GNU time. */
  timeFile?: string;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const service =
  job.engine === 'cli' || job.engine === 'stock-isomorphic-git'
    ? undefined
    : createGitService({ logger: createLogger({ level: 'error' }), engine: job.engine });

/**
 * isomorphic-git as it ships (its own http client, pack indexing and checkout, in this thread):
 * the baseline that shows what the app's streamed pack path (src-main/services/git/pack-tap.ts)
 * earns over stock isomorphic-git, so it keeps earning its place.
 */
async function stockIsomorphicClone(): Promise<void> {
  const git = await import('isomorphic-git');
  const http = await import('isomorphic-git/http/node');
  const fs = await import('node:fs');
  await git.clone({
    fs,
    http: http.default,
    dir: job.dir,
    url: job.url,
    onAuth: () => ({ username: 'oauth2', password: job.token }),
  });
}

function plainGitClone(): Promise<void> {
  const basic = Buffer.from(`oauth2:${job.token}`).toString('base64');
  const env = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: 'credential.helper',
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: 'http.extraHeader',
    GIT_CONFIG_VALUE_1: `Authorization: Basic ${basic}`,
  };
  const [cmd, args] = job.timeFile
    ? ['/usr/bin/time', ['-f', '%M', '-o', job.timeFile, 'git', 'clone', '-q', job.url, job.dir]]
    : ['git', ['clone', '-q', job.url, job.dir]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, args as string[], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git clone failed: ${stderr}`))));
  });
}

// How long the clone kept this thread from other work: in the app, the Electron main thread.
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cpu = process.cpuUsage();
const started = performance.now();
const engine = service
  ? (
      await service.clone({
        url: job.url,
        dir: job.dir,
        engine: job.engine as 'git' | 'isomorphic-git',
        credentials: async () => ({ username: 'oauth2', password: job.token }),
      })
    ).engine
  : job.engine === 'stock-isomorphic-git'
    ? (await stockIsomorphicClone(), 'stock-isomorphic-git')
    : (await plainGitClone(), 'cli');
const ms = performance.now() - started;
loop.disable();
const used = process.cpuUsage(cpu);
const loopDelay = { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 };
process.stdout.write(
  JSON.stringify({
    ms,
    maxRssKb: process.resourceUsage().maxRSS,
    cpuMs: (used.user + used.system) / 1000,
    engine,
    loopDelay,
  }) + '\n',
);
