/**
 * Sandbox benchmarks (issue 5), each against a baseline measured in the same run:
 * - start overhead: from execute() (image cached, clone done) to the agent's first output line,
 *   against a bare `podman run --rm --network none IMAGE true`; target 1.3× plus 300 ms;
 * - egress proxy throughput: 100 MB over HTTP through the proxy (CONNECT tunnel, and the full
 *   in-sandbox path: relay + unix socket + proxy) against the same download directly; target at
 *   least 80 % of direct throughput, i.e. at most 1.25× the time;
 * - egress proxy latency: median of small requests through the proxy against direct; target under
 *   5 ms added.
 * The download server is a local HTTP server made here (nothing leaves the machine).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src-main/platform/logger';
import type { ExecuteRequest } from '../src-main/services/runs/orchestrator';
import { runPaths } from '../src-main/services/runs/store';
import { BASE_IMAGE, connectEngine, createSandbox, startEgressProxy } from '../src-main/services/sandbox';
import { median, result, type BenchResult } from './types';

export type { BenchResult } from './types';

const SOCKET = process.env.COSPEC_CONTAINER_SOCKET ?? '/run/cospec/podman.sock';
const CONTAINERS_CONF = process.env.CONTAINERS_CONF ?? '/etc/cospec/containers.conf';
const ROUNDS = Number(process.env.BENCH_SANDBOX_ROUNDS ?? 5);
const SIZE_MB = Number(process.env.BENCH_PROXY_MB ?? 100);
const LATENCY_REQUESTS = Number(process.env.BENCH_PROXY_REQUESTS ?? 200);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/**
 * A server answering /big with SIZE_MB of bytes and / with a few bytes, in its own process: in the
 * benchmark's process it would share one thread with the proxy and halve the proxied throughput.
 */
const SERVER_SOURCE = `
const http = require('node:http');
const size = Number(process.argv[1]);
const chunk = Buffer.alloc(1 << 20, 120);
const server = http.createServer((req, res) => {
  if (req.url !== '/big') return res.end('ok\\n');
  res.writeHead(200, { 'content-length': String(size * chunk.length) });
  let left = size;
  const pump = () => { while (left > 0) { left--; if (!res.write(chunk)) return void res.once('drain', pump); } res.end(); };
  pump();
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

async function startDownloadServer(): Promise<{ port: number; close(): void }> {
  const child = spawn(process.execPath, ['-e', SERVER_SOURCE, String(SIZE_MB)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the download server exited (${code})`)));
  });
  return { port, close: () => child.kill() };
}

async function benchStart(): Promise<BenchResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cospec-bench-sandbox-'));
  const sandbox = createSandbox({ logger: createLogger({ level: 'error', sinks: [] }), socketPath: SOCKET, dataDir: dir });
  const bare: number[] = [];
  const firstLine: number[] = [];
  const whole: number[] = [];
  try {
    for (let i = 0; i < ROUNDS + 1; i++) {
      // Alternate, and drop round 0 (warms caches for both).
      const b = await timed(async () => {
        const r = await run('podman', ['run', '--rm', '--network', 'none', BASE_IMAGE, 'true'], { ...process.env, CONTAINERS_CONF });
        if (r.code !== 0) throw new Error(`podman run failed: ${r.stderr}`);
      });
      const runId = `bench-${process.pid}-${i}`;
      const paths = runPaths(join(dir, 'runs'), runId);
      await mkdir(paths.workspace, { recursive: true });
      await run('git', ['init', '-q', paths.workspace]);
      let first = 0;
      const t0 = process.hrtime.bigint();
      const req: ExecuteRequest = {
        runId,
        paths,
        image: BASE_IMAGE,
        allowlist: [],
        project: { instanceUrl: 'http://127.0.0.1:9', projectId: 1, webUrl: 'http://127.0.0.1:9/a/b', httpUrlToRepo: 'http://127.0.0.1:9/a/b.git', defaultBranch: 'main' },
        spec: { accountId: 'bench', projectPath: 'a/b', task: 'bench', agent: { kind: 'command', command: 'echo ready' }, allow: [] },
        timeoutMs: 120_000,
        onLog: () => {
          if (!first) first = Number(process.hrtime.bigint() - t0) / 1e9;
        },
        signal: new AbortController().signal,
      };
      await sandbox.execute(req, { getCredentials: async () => ({ token: 'bench-token' }), projectPaths: ['a/b'] });
      const all = Number(process.hrtime.bigint() - t0) / 1e9;
      if (i === 0) continue;
      bare.push(b);
      firstLine.push(first);
      whole.push(all);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const base = median(bare);
  return [
    result({
      name: 'sandbox start → first agent line',
      baseline: 'podman run --rm --network none IMAGE true',
      baselineValue: base,
      value: median(firstLine),
      unit: 's',
      target: Number((1.3 + 0.3 / base).toFixed(2)),
      note: `medians of ${ROUNDS} alternating rounds; target is 1.3× + 300 ms; includes gateway, egress proxy, container create/start with mounts and limits, relay start`,
    }),
    result({
      name: 'sandbox whole run (echo ready)',
      baseline: 'podman run --rm --network none IMAGE true',
      baselineValue: base,
      value: median(whole),
      unit: 's',
      note: 'until execute() returns: includes container removal and closing the proxy and gateway',
    }),
  ];
}

async function benchProxy(): Promise<BenchResult[]> {
  const server = await startDownloadServer();
  const port = server.port;
  const proxy = await startEgressProxy({ allowlist: [`127.0.0.1:${port}`] });
  const url = `http://127.0.0.1:${port}/big`;
  const curl = async (args: string[]) => {
    const r = await run('curl', ['-sS', '-f', '-o', '/dev/null', ...args, url]);
    if (r.code !== 0) throw new Error(`curl ${args.join(' ')} failed: ${r.stderr}`);
  };
  const direct: number[] = [];
  const tunnel: number[] = [];
  const absolute: number[] = [];
  try {
    for (let i = 0; i < 4; i++) {
      const d = await timed(() => curl([]));
      const t = await timed(() => curl(['-p', '-x', proxy.address]));
      const a = await timed(() => curl(['-x', proxy.address]));
      if (i === 0) continue;
      direct.push(d);
      tunnel.push(t);
      absolute.push(a);
    }
    // Latency: many small requests, each on a fresh connection (as an agent's tools mostly do).
    const one = (viaProxy: boolean) =>
      new Promise<number>((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const target = new URL(proxy.address);
        const req = request(
          viaProxy
            ? { host: target.hostname, port: Number(target.port), path: `http://127.0.0.1:${port}/`, headers: { host: `127.0.0.1:${port}` }, agent: false }
            : { host: '127.0.0.1', port, path: '/', agent: false },
          (res) => {
            res.resume();
            res.on('end', () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
          },
        );
        req.on('error', reject);
        req.end();
      });
    const lat = { direct: [] as number[], proxy: [] as number[] };
    for (let i = 0; i < LATENCY_REQUESTS; i++) {
      lat.direct.push(await one(false));
      lat.proxy.push(await one(true));
    }
    const dm = median(lat.direct);
    return [
      result({
        name: `egress proxy ${SIZE_MB} MB (CONNECT)`,
        baseline: 'same download direct',
        baselineValue: median(direct),
        value: median(tunnel),
        unit: 's',
        target: 1.25,
        note: `curl, medians of 3; throughput ${(SIZE_MB / median(tunnel)).toFixed(0)} vs ${(SIZE_MB / median(direct)).toFixed(0)} MB/s direct (target ≥ 80 %)`,
      }),
      result({
        name: `egress proxy ${SIZE_MB} MB (absolute URI)`,
        baseline: 'same download direct',
        baselineValue: median(direct),
        value: median(absolute),
        unit: 's',
        target: 1.25,
        note: `curl -x (plain http through the proxy, as git does for http:// remotes); ${(SIZE_MB / median(absolute)).toFixed(0)} MB/s`,
      }),
      result({
        name: 'egress proxy request latency',
        baseline: 'same request direct',
        baselineValue: dm,
        value: median(lat.proxy),
        unit: 'ms',
        target: Number(((dm + 5) / dm).toFixed(2)),
        note: `median of ${LATENCY_REQUESTS} requests on fresh connections; added ${(median(lat.proxy) - dm).toFixed(2)} ms (target < 5 ms)`,
      }),
    ];
  } finally {
    await proxy.close();
    server.close();
  }
}

/** The 100 MB download from inside a sandbox (relay + unix socket + proxy) against direct on the host. */
async function benchInSandbox(): Promise<BenchResult[]> {
  const server = await startDownloadServer();
  const port = server.port;
  const dir = await mkdtemp(join(tmpdir(), 'cospec-bench-sandbox-'));
  const sandbox = createSandbox({ logger: createLogger({ level: 'error', sinks: [] }), socketPath: SOCKET, dataDir: dir });
  try {
    const direct: number[] = [];
    for (let i = 0; i < 3; i++) {
      direct.push(await timed(() => run('curl', ['-sS', '-f', '-o', '/dev/null', `http://127.0.0.1:${port}/big`])));
    }
    const runId = `bench-dl-${process.pid}`;
    const paths = runPaths(join(dir, 'runs'), runId);
    await mkdir(paths.workspace, { recursive: true });
    const lines: string[] = [];
    const cmd = `for i in 1 2 3 4; do curl -sS -f -o /dev/null -p -w '%{time_total}\\n' http://127.0.0.1:${port}/big; done`;
    await sandbox.execute(
      {
        runId,
        paths,
        image: BASE_IMAGE,
        allowlist: [`127.0.0.1:${port}`],
        project: { instanceUrl: 'http://127.0.0.1:9', projectId: 1, webUrl: 'http://127.0.0.1:9/a/b', httpUrlToRepo: 'http://127.0.0.1:9/a/b.git', defaultBranch: 'main' },
        spec: { accountId: 'bench', projectPath: 'a/b', task: 'bench', agent: { kind: 'command', command: cmd }, allow: [] },
        timeoutMs: 300_000,
        onLog: (l) => lines.push(l),
        signal: new AbortController().signal,
      },
      { getCredentials: async () => ({ token: 'bench-token' }), projectPaths: ['a/b'] },
    );
    const times = lines.map(Number).filter((n) => Number.isFinite(n) && n > 0).slice(1);
    if (!times.length) throw new Error(`the in-sandbox download printed no timings: ${lines.join(' | ')}`);
    return [
      result({
        name: `in-sandbox ${SIZE_MB} MB via relay + proxy`,
        baseline: 'same download direct on the host',
        baselineValue: median(direct.slice(1)),
        value: median(times),
        unit: 's',
        target: 1.25,
        note: `curl inside the container (socat relay → unix socket → proxy, CONNECT); ${(SIZE_MB / median(times)).toFixed(0)} MB/s`,
      }),
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
    server.close();
  }
}

export async function benchSandbox(): Promise<BenchResult[]> {
  const results = await benchProxy();
  try {
    const engine = await connectEngine(SOCKET);
    if (!(await engine.inspectImage(BASE_IMAGE))) throw new Error(`the image ${BASE_IMAGE} is missing (scripts/setup/sandbox-image.sh)`);
  } catch (error) {
    process.stderr.write(`bench: sandbox: container benchmarks skipped: ${error instanceof Error ? error.message : String(error)}\n`);
    return results;
  }
  results.push(...(await benchStart()), ...(await benchInSandbox()));
  return results;
}
