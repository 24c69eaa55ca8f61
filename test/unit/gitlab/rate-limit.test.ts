import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { GitLabClient, retryAfterMs, type RateLimitWait } from '../../../src-main/services/gitlab';

/**
 * GitLab's 429 (Rack::Attack: text/plain "Retry later", Retry-After up to about a minute) with long
 * waits, on fake timers: the client waits each one out up to a 3-minute total, then gives up saying so.
 */

let server: Server;
let url: string;
let dispatcher: Agent;
/** What the server answers next: a 429 with this Retry-After, or (when the queue is empty) 200. */
let queue: Array<string | null>;
let hits = 0;

beforeEach(async () => {
  queue = [];
  hits = 0;
  server = createServer((req, res) => {
    hits++;
    if (queue.length > 0) {
      const retryAfter = queue.shift();
      res.writeHead(429, { 'content-type': 'text/plain', ...(retryAfter ? { 'retry-after': retryAfter } : {}) });
      res.end('Retry later\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ version: '17.5.0' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dispatcher = new Agent();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterEach(async () => {
  vi.useRealTimers();
  await dispatcher.close();
  await new Promise((resolve) => server.close(resolve));
});

/** Lets real I/O happen until the server has seen `count` requests (timers stay frozen). */
async function untilHits(count: number) {
  while (hits < count) await new Promise((resolve) => setImmediate(resolve));
}

const client = () => new GitLabClient({ instanceUrl: url, dispatcher });
const Version = z.object({ version: z.string() });

describe('GitLabClient and rate limits', () => {
  it('waits out two one-minute Retry-Afters, telling the caller each time, then succeeds', async () => {
    queue = ['60', '60'];
    const waits: RateLimitWait[] = [];
    let settled = false;
    const done = client()
      .json('/version', Version, { onRateLimit: (w) => waits.push(w) })
      .finally(() => (settled = true));
    await untilHits(1);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(settled).toBe(false);
    expect(hits).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    await untilHits(2);
    await vi.advanceTimersByTimeAsync(60_000);
    await untilHits(3);
    expect(await done).toEqual({ version: '17.5.0' });
    expect(waits.map((w) => w.waitMs)).toEqual([60_000, 60_000]);
    expect(waits[0]!.host).toBe('127.0.0.1');
    expect(Date.parse(waits[0]!.until)).not.toBeNaN();
  });

  it('a POST answered 429 is repeated too: Rack::Attack refused it before GitLab saw it', async () => {
    queue = ['30'];
    const done = client().json('/projects/1/issues', Version, { method: 'POST', body: { title: 't' } });
    await untilHits(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await done).toEqual({ version: '17.5.0' });
    expect(hits).toBe(2);
  });

  it('gives up at once, saying why, when one Retry-After is longer than the bound', async () => {
    queue = ['240'];
    await expect(client().json('/version', Version)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/asks to wait 240 s, longer than coSPEC waits on its own/),
    });
    expect(hits).toBe(1);
  });

  it('gives up once the waits together would pass three minutes', async () => {
    queue = ['60', '60', '60', '60'];
    const done = client().json('/version', Version);
    const failed = expect(done).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/kept rate-limiting requests: coSPEC waited 180 s/),
    });
    for (let i = 1; i <= 3; i++) {
      await untilHits(i);
      await vi.advanceTimersByTimeAsync(60_000);
    }
    await untilHits(4);
    await failed;
    expect(hits).toBe(4);
  });

  it('a missing Retry-After means a minute; an abort ends the wait as CANCELLED', async () => {
    queue = [null];
    const abort = new AbortController();
    const waits: number[] = [];
    const done = client().json('/version', Version, { signal: abort.signal, onRateLimit: (w) => waits.push(w.waitMs) });
    await untilHits(1);
    while (waits.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(waits).toEqual([60_000]);
    abort.abort();
    await expect(done).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, an HTTP date, or RateLimit-Reset', () => {
    const now = Date.parse('2026-12-02T10:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '42' }), now)).toBe(42_000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Wed, 02 Dec 2026 10:00:30 GMT' }), now)).toBe(30_000);
    expect(retryAfterMs(new Headers({ 'ratelimit-reset': String(now / 1000 + 15) }), now)).toBe(15_000);
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });
});
