import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from '@playwright/test';
import { WEB_PATHS } from '../../src-shared/ipc/web-transport';
import { CHROMIUM, CHROMIUM_ARGS } from './harness/chromium';
import { expect, test } from './fixtures';

/*
 * Browser mode attacked from real Chromium. The victim's browser is signed in (the `app` fixture
 * opened the secret URL, so the context holds the session cookie). A page served by another server
 * on another loopback port, in the same browser, is the same *site*: its requests carry the cookie.
 * It tries to call the contract, read the app, open the event WebSocket, load the bundle and frame
 * the app. A second browser resolves an attacker's hostname to 127.0.0.1 (DNS rebinding) and tries
 * the same from "its own" origin. Nothing may reach the dispatcher (app.dispatched) and nothing of
 * the app may be read.
 */

async function serve(html: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Runs in the attacker's page: every way in it has, each result recorded by name. */
const ATTACKS = String(async function attacks(app: string, callPath: string, eventsPath: string, script: string) {
  const results: Record<string, string> = {};
  const body = JSON.stringify({ service: 'accounts', method: 'list', args: [] });
  const attempt = async (name: string, fn: () => Promise<string>) => {
    try {
      results[name] = await fn();
    } catch (error) {
      results[name] = `blocked (${(error as Error).name})`;
    }
  };
  await attempt('cors call', async () => {
    const r = await fetch(app + callPath, {
      method: 'POST',
      credentials: 'include',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return `read ${r.status}: ${await r.text()}`;
  });
  await attempt('no-cors call', async () => {
    const r = await fetch(app + callPath, { method: 'POST', mode: 'no-cors', credentials: 'include', body });
    return `sent (${r.type})`;
  });
  await attempt('read the app', async () => {
    const r = await fetch(app + '/', { credentials: 'include' });
    return `read ${r.status}: ${(await r.text()).slice(0, 100)}`;
  });
  await attempt(
    'event websocket',
    () =>
      new Promise((resolve) => {
        const ws = new WebSocket(app.replace(/^http/, 'ws') + eventsPath);
        ws.onopen = () => resolve('open');
        ws.onmessage = (m) => resolve(`message ${String(m.data)}`);
        ws.onerror = () => resolve('refused');
      }),
  );
  await attempt(
    'bundle as script',
    () =>
      new Promise((resolve) => {
        const s = document.createElement('script');
        s.src = app + script;
        s.onload = () => resolve('loaded');
        s.onerror = () => resolve('refused');
        document.head.append(s);
      }),
  );
  return results;
});

test.describe('browser mode under attack from other origins', () => {
  test('a page on another loopback port cannot call, read, listen to, embed or frame the signed-in app', async ({
    app,
  }) => {
    const { page } = app;
    const script = (await page.locator('script[src]').first().getAttribute('src'))!.replace(/^\./, '');
    await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
    // The app's own first calls (screens load as chunks, each asks for its data) are done before
    // counting, so only what the attacker causes is counted.
    await page.waitForLoadState('networkidle');
    let settled = -1;
    await expect
      .poll(async () => {
        const now = app.dispatched.length;
        const same = now === settled;
        settled = now;
        await new Promise((r) => setTimeout(r, 300));
        return same;
      })
      .toBe(true);
    const before = app.dispatched.length;
    const cookies = await page.context().cookies(app.origin);
    expect(cookies.map((c) => [c.httpOnly, c.sameSite])).toEqual([[true, 'Strict']]);

    const attacker = await serve(`<!doctype html><title>attacker</title>
      <form id="f" method="POST" enctype="text/plain" action="${app.origin}${WEB_PATHS.call}">
        <input name='{"service":"accounts","method":"list","args":[],"x":"' value='"}'>
      </form>
      <iframe id="frame" src="${app.origin}/"></iframe>`);
    try {
      const evil = await page.context().newPage();
      await evil.goto(attacker.origin);
      const results = await evil.evaluate(
        `(${ATTACKS})(${JSON.stringify(app.origin)}, ${JSON.stringify(WEB_PATHS.call)}, ${JSON.stringify(WEB_PATHS.events)}, ${JSON.stringify(script)})`,
      );
      expect(results).toEqual({
        'cors call': 'blocked (TypeError)',
        // Sent (the request leaves the browser), but even its opaque answer is withheld: CORP same-origin.
        'no-cors call': 'blocked (TypeError)',
        'read the app': 'blocked (TypeError)',
        'event websocket': 'refused',
        'bundle as script': 'refused',
      });
      // The framed app never rendered (X-Frame-Options / frame-ancestors).
      const framed = evil.frames().find((f) => f !== evil.mainFrame());
      expect(await framed?.locator('#root').count()).toBe(0);
      // A cross-site form post (the cookie comes along: same site) lands on a refusal.
      await Promise.all([
        evil.waitForURL(`${app.origin}${WEB_PATHS.call}`),
        evil.locator('#f').evaluate((f) => (f as HTMLFormElement).submit()),
      ]);
      await expect(evil.locator('body')).toHaveText('Refused.');
      await evil.close();
    } finally {
      attacker.server.close();
    }

    expect(app.dispatched.slice(before)).toEqual([]);
    expect(app.logLines.filter((l) => l.includes('web host refused a request')).join('\n')).toContain('foreign Origin');
    // The app itself still works.
    await app.goto('#/accounts');
    await expect(page.getByRole('heading', { name: 'Accounts', level: 1 })).toBeVisible();
    const host = await page.evaluate(async () => {
      const w = window as unknown as { cospec: { app: { getInfo(): Promise<{ host: string }> } } };
      return (await w.cospec.app.getInfo()).host;
    });
    expect(host).toBe('harness');
    expect(app.dispatched.slice(before)).toEqual([{ service: 'app', method: 'getInfo' }]);
  });

  test('a DNS-rebinding page (its hostname resolved to 127.0.0.1) is refused by the Host check', async ({ app }) => {
    const port = new URL(app.origin).port;
    const rebinding = `http://rebind.cospec.test:${port}`;
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP rebind.cospec.test 127.0.0.1'],
    });
    const before = app.dispatched.length;
    try {
      const page = await browser.newPage();
      const response = await page.goto(`${rebinding}/`);
      expect(response?.status()).toBe(403);
      // From the attacker's own (rebound) origin the call is "same-origin" to the browser: only Host tells.
      const results = await page.evaluate(
        async ([callPath, eventsPath]) => {
          const call = await fetch(callPath!, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ service: 'accounts', method: 'list', args: [] }),
          });
          const ws = await new Promise<string>((resolve) => {
            const socket = new WebSocket(`ws://${location.host}${eventsPath}`);
            socket.onopen = () => resolve('open');
            socket.onerror = () => resolve('refused');
          });
          return { call: call.status, ws };
        },
        [WEB_PATHS.call, WEB_PATHS.events],
      );
      expect(results).toEqual({ call: 403, ws: 'refused' });
    } finally {
      await browser.close();
    }
    expect(app.dispatched.slice(before)).toEqual([]);
    expect(app.logLines.filter((l) => l.includes('web host refused a request')).join('\n')).toContain(
      'rebind.cospec.test',
    );
  });
});
