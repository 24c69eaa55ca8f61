import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  appSchemeDefinition,
  createAppProtocolHandler,
  isAppUrl,
} from '../../../src-main/shell/app-protocol';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/platform/csp';

let base: string;
let handler: (request: Request) => Promise<Response>;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'cospec-protocol-'));
  const root = join(base, 'renderer');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>coSPEC</title>');
  await writeFile(join(root, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(join(base, 'secret.txt'), 'outside the renderer folder');
  handler = createAppProtocolHandler({ rootDir: root });
});
afterAll(() => rm(base, { recursive: true, force: true }));

const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

describe('app:// protocol', () => {
  it('is privileged as a standard, secure scheme that does not bypass the CSP', () => {
    expect(appSchemeDefinition).toEqual({
      scheme: 'app',
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    });
  });

  it('serves the built renderer with the CSP and nosniff headers', async () => {
    const response = await get(APP_ENTRY_URL);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).toContain('<title>coSPEC</title>');
    const script = await get('app://cospec/assets/app.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await get('app://cospec/')).status).toBe(200);
  });

  it('never serves a file outside the renderer folder', async () => {
    for (const url of [
      'app://cospec/%2e%2e/secret.txt',
      'app://cospec/..%2fsecret.txt',
      'app://cospec/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    ]) {
      const response = await get(url);
      // The URL parser folds "%2e%2e" into ".." (then 404 inside the folder); "%2f" survives to the guard (403).
      expect([403, 404], url).toContain(response.status);
      expect(await response.text()).not.toContain('outside the renderer folder');
    }
  });

  it('answers 404 for unknown files, other hosts and folders', async () => {
    expect((await get('app://cospec/missing.js')).status).toBe(404);
    expect((await get('app://elsewhere/index.html')).status).toBe(404);
    expect((await get('app://cospec/assets')).status).toBe(404);
  });

  it('rejects writes and malformed paths', async () => {
    expect((await get(APP_ENTRY_URL, 'POST')).status).toBe(405);
    expect((await get('app://cospec/%E0%A4%A')).status).toBe(400);
    expect((await get('app://cospec/index.html%00.js')).status).toBe(400);
  });

  it('recognises only its own origin as the app', () => {
    expect(isAppUrl('app://cospec/index.html#/accounts')).toBe(true);
    expect(isAppUrl('app://evil/index.html')).toBe(false);
    expect(isAppUrl('https://cospec/index.html')).toBe(false);
    expect(isAppUrl('file:///app/out/renderer/index.html')).toBe(false);
    expect(isAppUrl('not a url')).toBe(false);
  });
});
