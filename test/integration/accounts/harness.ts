import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus } from '../../../src-main/platform/events';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { pathsFor } from '../../../src-main/platform/paths';
import { createServices } from '../../../src-main/services';
import type { EventPayload } from '../../../src-shared/ipc/contract';
import type { LocalGitLabStarter } from '../../../src-main/services/local-gitlab';

/** A fresh data dir plus a services instance over it, as the UI harness would build one. */
export async function startServices(
  options: { dataDir?: string; protocolRegistered?: boolean; now?: () => Date; localGitLab?: LocalGitLabStarter } = {},
) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cospec-accounts-'));
  const sink = memorySink();
  const logger = createLogger({ level: 'debug', sinks: [sink] });
  const events = createEventBus();
  const changes: Array<EventPayload<'accounts.didChange'>> = [];
  events.on('accounts.didChange', (list) => changes.push(list));
  const opened: string[] = [];
  const services = await createServices({
    host: 'harness',
    appVersion: '0.0.0-test',
    paths: pathsFor(dataDir),
    logger,
    events,
    openExternal: async (url) => void opened.push(url),
    protocolRegistered: options.protocolRegistered ?? true,
    policyPath: join(dataDir, 'no-policy.json'),
    now: options.now,
    localGitLab: options.localGitLab,
  });
  return {
    services,
    accounts: services.handlers.accounts,
    dataDir,
    logLines: sink.lines,
    changes,
    opened,
    logger,
    events,
  };
}

export function removeDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
}

/** A port nothing listens on (bound, read, closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A web server that is not a GitLab: HTML for every path. */
export async function startHtmlServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>Intranet</title><h1>Welcome to the intranet</h1>');
  });
  return listen(server);
}

/**
 * A minimal HTTP CONNECT proxy that records the targets it tunnels to. `refuse` answers every
 * CONNECT with 403, as a corporate proxy does for a host it blocks.
 */
export async function startConnectProxy(options: { refuse?: boolean } = {}) {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on('connect', (req, client: Socket) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const target = req.url ?? '';
    if (options.refuse) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    tunnels.push(target);
    const [host, port] = target.split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  const { url, close } = await listen(server, () => sockets.forEach((s) => s.destroy()));
  return { url, tunnels, close };
}

async function listen(server: Server, beforeClose?: () => void) {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        beforeClose?.();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
