import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

// The same policy the app:// protocol sends in Electron (index.html also carries it as a meta tag).
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'";

export interface StaticServer {
  url: string;
  /**
   * Holds a large IPC answer (JSON text) for one GET from the page and returns its same-origin
   * path: the harness bridge fetches answers that would be slow through a Playwright binding.
   */
  stash(body: string): string;
  close(): Promise<void>;
}

const STASH_PREFIX = '/__cospec-ipc/';

/** Serves the built renderer on loopback, read-only, with the app's CSP header. */
export async function serveStatic(dir: string): Promise<StaticServer> {
  const stashed = new Map<string, string>();
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path.startsWith(STASH_PREFIX)) {
      const body = stashed.get(path);
      stashed.delete(path);
      if (body === undefined) return void res.writeHead(404).end('not found');
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-security-policy': CSP,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      return void res.end(body);
    }
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stash: (body) => {
      const path = `${STASH_PREFIX}${randomUUID()}`;
      stashed.set(path, body);
      return path;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
