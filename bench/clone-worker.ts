/**
 * One clone in a fresh Node process, so its peak memory is the clone's alone. Prints one JSON
 * line: { ms, maxRssKb, engine }. Used by bench/clone.ts; not a public entry point.
 */
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
const started = performance.now();
const res = await service.clone({ url: job.url, dir: job.dir, engine: job.engine, credentials: async () => ({ username: 'oauth2', password: job.token }) });
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, maxRssKb: process.resourceUsage().maxRSS, engine: res.engine }) + '\n');
