import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WEB_PATHS, WEB_SECRET_PARAM } from '../../../src-shared/ipc/web-transport';
import { createNodeServices, type NodeServices } from '../../../src-main/cli/node-services';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/platform/csp';
import { createEventBus } from '../../../src-main/platform/events';
import type { Dispatch } from '../../../src-main/platform/ipc-dispatch';
import { startWebHost, type WebHost } from '../../../src-main/web-host/server';

/*
 * Browser mode's web host under attack, with raw HTTP and WebSocket clients that send exactly the
 * headers an attacker controls (a browser cannot forge Host or Origin, but a rebinding page and
 * another local origin can each reach the socket). Every refused request must leave the real
 * dispatcher untouched: `calls` counts what reached it. Real Chromium attacks are in
 * test/ui/browser-mode-attacks.spec.ts.
 */

let scratch: string;
let services: NodeServices;
let host: WebHost;
let port: number;
let origin: string;
let cookie: string;
const calls: string[] = [];
const events = createEventBus();

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        setHost: false,
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const own = () => ({ host: `127.0.0.1:${port}` });
const callBody = JSON.stringify({ service: 'app', method: 'getInfo', args: [] });
const call = (headers: Record<string, string>) =>
  send(WEB_PATHS.call, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: callBody });

/** Opens a WebSocket with these headers; resolves 'open' or the refusal's HTTP status. */
function upgrade(headers: Record<string, string>, path: string = WEB_PATHS.events): Promise<'open' | number> {
  return new Promise((resolve) => {
    const { host: hostHeader, origin: originHeader, ...rest } = headers;
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
      headers: { ...(hostHeader ? { host: hostHeader } : {}), ...rest },
      ...(originHeader ? { origin: originHeader } : {}),
    });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(0));
  });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'cospec-web-attacks-'));
  const renderer = join(scratch, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>coSPEC</title>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(scratch, 'secret.txt'), 'outside the renderer');
  const built = await createNodeServices({
    host: 'browser',
    dataDir: join(scratch, 'data'),
    events,
    logFile: 'browser.log',
  });
  services = built.services;
  const dispatch: Dispatch = async (service, method, args) => {
    calls.push(`${service}.${method}`);
    return built.dispatch(service, method, args);
  };
  host = await startWebHost({ rendererDir: renderer, dispatch, events, logger: built.logger });
  port = Number(new URL(host.origin).port);
  origin = host.origin;
  const exchange = await send(`/?${WEB_SECRET_PARAM}=${new URL(host.openUrl).searchParams.get(WEB_SECRET_PARAM)}`, {
    headers: own(),
  });
  expect(exchange.status).toBe(303);
  cookie = String(exchange.headers['set-cookie']?.[0]).split(';')[0]!;
}, 120_000);

afterAll(async () => {
  await host?.close();
  await services?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe('browser mode: who may talk to the web host', () => {
  it('listens on loopback only', async () => {
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal);
    if (!outside)
      return console.warn('[web-host] no non-loopback IPv4 address here; the bind check is the origin only');
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: outside.address, port }, () => {
        socket.destroy();
        resolve(false);
      });
      socket.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it('exchanges the secret once for an HttpOnly SameSite=Strict cookie and redirects it out of the address', async () => {
    const r = await send(`/?${WEB_SECRET_PARAM}=${new URL(host.openUrl).searchParams.get(WEB_SECRET_PARAM)}`, {
      headers: own(),
    });
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    expect(r.headers['set-cookie']?.[0]).toMatch(/^cospec-session-\d+=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
  });

  it('refuses a wrong or missing secret and gives no cookie', async () => {
    for (const path of [
      `/?${WEB_SECRET_PARAM}=wrong`,
      `/?${WEB_SECRET_PARAM}=`,
      '/',
      '/index.html',
      '/assets/app.js',
    ]) {
      const r = await send(path, { headers: own() });
      expect([401, 403], path).toContain(r.status);
      expect(r.headers['set-cookie'], path).toBeUndefined();
      expect(r.body).not.toContain('<title>coSPEC');
    }
    expect((await call({ ...own(), origin })).status).toBe(401);
    expect((await call({ ...own(), origin, cookie: `${cookie.split('=')[0]}=forged` })).status).toBe(401);
    expect(calls).toEqual([]);
  });

  it('refuses a call with the cookie but a foreign, null or missing Origin', async () => {
    for (const o of [
      'http://evil.example',
      'http://127.0.0.1:1',
      'http://localhost:1',
      'null',
      `https://127.0.0.1:${port}`,
    ]) {
      expect((await call({ ...own(), cookie, origin: o })).status, o).toBe(403);
    }
    expect((await call({ ...own(), cookie })).status).toBe(403);
    expect(calls).toEqual([]);
  });

  it('refuses a rebinding Host header, even with the cookie and a matching Origin', async () => {
    for (const h of [`evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `127.0.0.1.nip.io:${port}`, '']) {
      const r = await call({ host: h, cookie, origin: `http://${h}` });
      expect(r.status, h).toBe(403);
      expect((await send('/', { headers: { host: h, cookie } })).status, h).toBe(403);
    }
    expect(calls).toEqual([]);
  });

  it('answers a CORS preflight and simple cross-site requests with no CORS headers, dispatching nothing', async () => {
    const preflight = await send(WEB_PATHS.call, {
      method: 'OPTIONS',
      headers: {
        ...own(),
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(405);
    // A form or no-cors fetch from another loopback port: same site, so the cookie comes along.
    const simple = await send(WEB_PATHS.call, {
      method: 'POST',
      headers: { ...own(), cookie, origin: 'http://127.0.0.1:9', 'content-type': 'text/plain' },
      body: callBody,
    });
    expect(simple.status).toBe(403);
    // Even from its own origin, a call must be JSON (a form cannot send that).
    const form = await send(WEB_PATHS.call, {
      method: 'POST',
      headers: { ...own(), cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: callBody,
    });
    expect(form.status).toBe(415);
    // A page on another port embedding the app's files: Sec-Fetch-Site says so.
    const embedded = await send('/assets/app.js', { headers: { ...own(), cookie, 'sec-fetch-site': 'same-site' } });
    expect(embedded.status).toBe(403);
    for (const r of [preflight, simple, form, embedded]) {
      expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
    expect(calls).toEqual([]);
  });

  it('refuses WebSocket upgrades without the cookie, without or with a foreign Origin, or under another Host', async () => {
    expect(await upgrade({ origin })).toBe(401);
    expect(await upgrade({ cookie })).toBe(403);
    expect(await upgrade({ cookie, origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade({ cookie, origin: 'http://127.0.0.1:1' })).toBe(403);
    expect(await upgrade({ cookie, host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).toBe(403);
    expect(await upgrade({ cookie, origin }, '/elsewhere')).toBe(400);
    expect(host.connections()).toBe(0);
  });

  it('serves its own page only inside the renderer folder, with the window’s CSP and no framing', async () => {
    const page = await send('/', { headers: { ...own(), cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>coSPEC');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    for (const escape of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%00']) {
      const r = await send(escape, { headers: { ...own(), cookie } });
      expect([400, 404], escape).toContain(r.status);
      expect(r.body).not.toContain('outside the renderer');
    }
  });

  it('serves a rebuilt page anew, and its files whole (GET and HEAD), from memory once read', async () => {
    const renderer = join(scratch, 'renderer');
    const asset = await send('/assets/app.js', { headers: { ...own(), cookie } });
    expect(asset).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    // Named by content: this browser may keep it. The page (not named by content) and every answer
    // of a call, which carries the user's data, are never stored.
    expect(asset.headers['cache-control']).toBe('private, max-age=31536000, immutable');
    expect((await send('/', { headers: { ...own(), cookie } })).headers['cache-control']).toBe('no-store');
    expect((await send('/assets/missing.js', { headers: { ...own(), cookie } })).headers['cache-control']).toBe(
      'no-store',
    );
    expect((await send('/assets/app.js', { headers: own() })).headers['cache-control']).toBe('no-store');
    const head = await send('/assets/app.js', { method: 'HEAD', headers: { ...own(), cookie } });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String('console.log(1)'.length));
    expect(head.body).toBe('');
    try {
      // index.html is not named by its content: a rebuild (another size or time) is served at once.
      writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>coSPEC rebuilt</title>');
      expect((await send('/index.html', { headers: { ...own(), cookie } })).body).toContain('coSPEC rebuilt');
      rmSync(join(renderer, 'index.html'));
      expect((await send('/index.html', { headers: { ...own(), cookie } })).status).toBe(404);
    } finally {
      writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>coSPEC</title>');
    }
  });

  it('lets its own page call through the real dispatcher and receive events on the WebSocket', async () => {
    const ok = await call({ ...own(), cookie, origin });
    expect(ok.status).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, value: { host: 'browser' } });
    // Validation is the dispatcher's: a call outside the contract is an error envelope.
    const bad = await send(WEB_PATHS.call, {
      method: 'POST',
      headers: { ...own(), cookie, origin, 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'secrets', method: 'get', args: ['x'] }),
    });
    expect(JSON.parse(bad.body)).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(calls).toEqual(['app.getInfo', 'secrets.get']);

    const ws = new WebSocket(`ws://127.0.0.1:${port}${WEB_PATHS.events}`, { headers: { cookie }, origin });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const frame = new Promise<string>((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));
    const list = { accountId: 'a1', projects: [], fetchedAt: null, refreshing: false };
    events.emit('repositories.didChange', list);
    expect(JSON.parse(await frame)).toEqual({ event: 'repositories.didChange', payload: list });
    ws.close();
  });
});
