/**
 * One clone in a fresh Node process, so its peak memory is the clone's alone. Prints one JSON
 * line: { ms, maxRssKb, engine, loopDelay: { maxMs, p99Ms } }. Used by bench/clone.ts; not a public entry point.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createGitService } from '../src-main/services/git';
import { createLogger } from '../src-main/platform/logger';

interface Job {
  url: string;
  dir: string;
  token: string;
  engine: 'git' | 'isomorphic-git';
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const service = createGitService({ logger: createLogger({ level: 'error' }), engine: job.engine });
// How long the clone kept this thread from other work: in the app, the main thread.
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const started = performance.now();
const res = await service.clone({ url: job.url, dir: job.dir, engine: job.engine, credentials: async () => ({ username: 'oauth2', password: job.token }) });
const ms = performance.now() - started;
loop.disable();
const loopDelay = { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 };
process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, engine: res.engine, loopDelay }) + '\n');
