import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';

/** Faults on demand, the TLS mode with its generated CA, and the gitlab:local command. */

let gitlab: StandIn;
const get = (path: string, init: RequestInit = {}) =>
  fetch(`${gitlab.url}${path}`, { ...init, headers: { 'PRIVATE-TOKEN': gitlab.user('alice').token } });

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
});
afterAll(async () => {
  await gitlab?.close();
});

describe('faults', () => {
  it('answers 5xx for the matching path the given number of times, then normally', async () => {
    gitlab.faults.add({ match: { path: '/api/v4/user' }, status: 503, times: 2 });
    expect((await get('/api/v4/user')).status).toBe(503);
    expect((await get('/api/v4/version')).status).toBe(200); // other paths are untouched
    const second = await get('/api/v4/user');
    expect(second.status).toBe(503);
    expect(await second.json()).toEqual({ message: '503 Service Unavailable' });
    expect((await get('/api/v4/user')).status).toBe(200);
  });

  it('429 as GitLab throttles: text/plain "Retry later", Retry-After and the RateLimit-* headers', async () => {
    gitlab.faults.add({
      match: { path: '/api/v4/projects*', method: 'GET' },
      status: 429,
      retryAfterSeconds: 7,
      times: 1,
    });
    const res = await get('/api/v4/projects?membership=true');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(await res.text()).toBe('Retry later\n');
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(Date.parse(res.headers.get('ratelimit-resettime')!)).not.toBeNaN();
    expect((await get('/api/v4/projects?membership=true')).status).toBe(200);
    gitlab.faults.add({ match: { path: '/api/v4/user' }, status: 429, times: 1 });
    expect((await get('/api/v4/user')).headers.get('retry-after')).toBe('60');
  });

  it('drops the connection before answering, or in the middle of the body', async () => {
    gitlab.faults.add({ match: { path: '/api/v4/user' }, reset: 'before-response', times: 1 });
    await expect(get('/api/v4/user')).rejects.toThrow();
    gitlab.faults.add({ match: { path: '/api/v4/user' }, reset: 'mid-response', times: 1 });
    const res = await get('/api/v4/user');
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect((await get('/api/v4/user')).status).toBe(200);
  });

  it('adds latency (a client with a shorter timeout gives up) and then serves normally', async () => {
    gitlab.faults.add({ match: { path: '/api/v4/version' }, latencyMs: 3000, times: 1 });
    await expect(get('/api/v4/version', { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    const hit = gitlab.faults.hits.at(-1);
    expect(hit).toMatchObject({ path: '/api/v4/version', fault: { latencyMs: 3000 } });
  });

  it('matches by RegExp, applies to git and OAuth paths too, and clear() removes everything', async () => {
    gitlab.faults.add({ match: { path: /^\/acme\/web-app\.git\// }, status: 500 });
    gitlab.faults.add({ match: { path: '/oauth/token' }, status: 502 });
    expect((await fetch(`${gitlab.url}/acme/web-app.git/info/refs?service=git-upload-pack`)).status).toBe(500);
    expect((await fetch(`${gitlab.url}/oauth/token`, { method: 'POST' })).status).toBe(502);
    gitlab.faults.clear();
    expect((await fetch(`${gitlab.url}/acme/web-app.git/info/refs?service=git-upload-pack`)).status).toBe(401);
  });
});

describe('TLS mode', () => {
  let tls: StandIn;
  beforeAll(async () => {
    tls = await startGitLabStandIn({ tls: true });
  });
  afterAll(async () => {
    await tls?.close();
  });

  it('serves https for 127.0.0.1 with a certificate from its own CA', async () => {
    expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(tls.caPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const trusting = new Agent({ connect: { ca: tls.caPem } });
    try {
      const res = await undiciFetch(`${tls.url}/api/v4/version`, {
        headers: { 'PRIVATE-TOKEN': tls.user('root').token },
        dispatcher: trusting,
      });
      expect(await res.json()).toMatchObject({ version: '17.5.0' });
      // the same CA, but the name the certificate does not carry
      const other = tls.url.replace('127.0.0.1', 'localhost');
      await expect(undiciFetch(`${other}/api/v4/version`, { dispatcher: trusting })).rejects.toMatchObject({
        cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID' },
      });
    } finally {
      await trusting.close();
    }
  });

  it('is refused by a client that does not trust the CA', async () => {
    const plain = new Agent();
    try {
      await expect(undiciFetch(`${tls.url}/api/v4/version`, { dispatcher: plain })).rejects.toMatchObject({
        cause: { code: expect.stringMatching(/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/) },
      });
    } finally {
      await plain.close();
    }
  });
});

describe('npm run gitlab:local', () => {
  it('--json prints exactly one line with url and users, serves, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'tools/gitlab-standin/cli.ts', '--json'], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const first = await new Promise<string>((resolve, reject) => {
        lines.once('line', resolve);
        child.once('exit', (code) => reject(new Error(`gitlab:local exited with ${code}`)));
      });
      const info = JSON.parse(first) as {
        url: string;
        users: Array<{ username: string; password: string; token: string; role: string }>;
      };
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(info.users.map((u) => u.username)).toEqual(['root', 'cospec-bot', 'alice', 'maya', 'rita', 'gus']);
      for (const u of info.users) expect(Object.keys(u).sort()).toEqual(['password', 'role', 'token', 'username']);
      const bot = info.users.find((u) => u.username === 'cospec-bot')!;
      const me = await fetch(`${info.url}/api/v4/user`, { headers: { 'PRIVATE-TOKEN': bot.token } });
      expect((await me.json()).username).toBe('cospec-bot');
      const extra: string[] = [];
      lines.on('line', (l) => extra.push(l));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(extra).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
