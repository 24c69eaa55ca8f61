import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { WEB_PATHS } from '../../../src-shared/ipc/web-transport';

/*
 * `npm start` where the Electron binary is missing (as on these machines): one line says so with the
 * address, and the app answers there in browser mode. The build is the real electron-vite build into
 * out/, as `npm start` makes it.
 */

const root = join(import.meta.dirname, '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'cospec-start-browser-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function get(url: URL, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; cookie?: string; text: string }>((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: body === undefined ? 'GET' : 'POST', headers: { host: url.host, ...headers }, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, cookie: res.headers['set-cookie']?.[0]?.split(';')[0], text }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('npm start without the Electron binary', () => {
  it('says so in one line with the address and serves the app in browser mode there', async () => {
    const child = spawn(process.execPath, ['scripts/start.mjs', '--no-open'], {
      cwd: root,
      // No download attempt in tests (it would go to github.com); an empty override folder has no binary.
      env: {
        ...process.env,
        COSPEC_NO_ELECTRON_DOWNLOAD: '1',
        ELECTRON_OVERRIDE_DIST_PATH: scratch,
        COSPEC_DATA_DIR: join(scratch, 'data'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (l) => l.startsWith('start: ') && resolve(l));
        child.on('exit', (code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)));
      });
      expect(line).toMatch(
        /^start: the Electron binary is missing here, so coSPEC Desktop runs in browser mode: open http:\/\/127\.0\.0\.1:\d+\/\?cospec-secret=[\w-]+$/,
      );
      await expect.poll(() => stderr).toContain('ELECTRON_OVERRIDE_DIST_PATH');
      const url = new URL(line.slice(line.indexOf('http://')));
      const signIn = await get(url, {});
      expect(signIn.status).toBe(303);
      const cookie = signIn.cookie!;
      const page = await get(new URL('/', url), { cookie });
      expect(page.status).toBe(200);
      expect(page.text).toContain('<div id="root">');
      const info = await get(
        new URL(WEB_PATHS.call, url),
        { cookie, origin: url.origin, 'content-type': 'application/json' },
        JSON.stringify({ service: 'app', method: 'getInfo', args: [] }),
      );
      expect(JSON.parse(info.text)).toMatchObject({
        ok: true,
        value: { host: 'browser', dataDir: join(scratch, 'data') },
      });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 300_000);
});
