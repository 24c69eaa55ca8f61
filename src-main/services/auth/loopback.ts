import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackReceiver {
  redirectUri: string;
  close(): Promise<void>;
}

export interface LoopbackPage {
  status: number;
  title: string;
  message: string;
}

/**
 * A one-shot loopback redirect receiver (RFC 8252 §7.3) on 127.0.0.1 and a random port. Each
 * /callback request is handed to onCallback, which decides the page shown in the browser.
 */
export async function startLoopbackReceiver(
  onCallback: (query: URLSearchParams) => Promise<LoopbackPage>,
): Promise<LoopbackReceiver> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      send(res, {
        status: 404,
        title: 'Not found',
        message: 'This address is only used to finish signing in to coSPEC.',
      });
      return;
    }
    onCallback(url.searchParams).then(
      (page) => send(res, page),
      () => send(res, { status: 500, title: 'Sign-in failed', message: 'Return to coSPEC Desktop for details.' }),
    );
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    // Stops listening at once; a response still being written (the page after the exchange)
    // finishes, and any straggling connection is cut after a grace period.
    close: async () => {
      if (closed) return;
      closed = true;
      server.close();
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
    },
  };
}

function send(res: ServerResponse, page: LoopbackPage) {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${esc(page.title)} — coSPEC</title>
<style>body{font:16px system-ui,sans-serif;margin:15vh auto;max-width:32rem;text-align:center;color:#222}</style></head>
<body><h1>${esc(page.title)}</h1><p>${esc(page.message)}</p></body></html>`;
  res.writeHead(page.status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
    connection: 'close',
  });
  res.end(html);
}
