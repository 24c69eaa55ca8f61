import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer,
  request,
  type ClientRequest,
  type IncomingMessage,
  type RequestOptions,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureRequestOptions, configureRequestUrl, HttpExecutor } from 'builder-util-runtime';
import { DebUpdater } from 'electron-updater';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpdatesService } from '../../../src-main/services/updates';
import { electronUpdaterAdapter } from '../../../src-main/shell/updater';
import { createLogger } from '../../../src-main/platform/logger';
import type { UpdateState } from '../../../src-shared/ipc/services/updates';

/*
 * electron-updater's real generic provider, version comparison, download and sha512 check, against a
 * feed this test serves on loopback. Without the Electron binary two pieces are replaced, and only
 * those: the app adapter (electron's `app`: version, paths, isPackaged) and the HTTP executor
 * (electron's `net`), by a node:http one (never a proxy: the feed is on loopback) with the download
 * routine electron-updater's own executor has (node_modules/electron-updater/out/electronHttpExecutor.js). Installing (pkexec/dpkg
 * and quitting the app) is not exercised.
 */

class NodeDownloadExecutor extends HttpExecutor<ClientRequest> {
  createRequest(options: RequestOptions, callback: (response: IncomingMessage) => void): ClientRequest {
    return request(options, callback);
  }

  download(
    url: URL,
    destination: string,
    options: { headers?: Record<string, string> | null; cancellationToken: unknown },
  ) {
    return new Promise<string>((resolve, reject) => {
      const requestOptions = { headers: options.headers ?? undefined, redirect: 'manual' };
      configureRequestUrl(url, requestOptions);
      configureRequestOptions(requestOptions);
      this.doDownload(
        requestOptions,
        {
          destination,
          options: options as never,
          onCancel: () => undefined,
          callback: (error: Error | null) => (error ? reject(error) : resolve(destination)),
          responseHandler: null,
        },
        0,
      );
    });
  }
}

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(() => {
  servers.splice(0).forEach((s) => s.close());
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

async function serveFeed(advertised: Buffer, served: Buffer): Promise<string> {
  const sha512 = createHash('sha512').update(advertised).digest('base64');
  const latest = [
    'version: 9.9.0',
    'files:',
    '  - url: cospec-9.9.0.deb',
    `    sha512: ${sha512}`,
    `    size: ${advertised.length}`,
    'path: cospec-9.9.0.deb',
    `sha512: ${sha512}`,
    "releaseDate: '2026-12-01T00:00:00.000Z'",
    '',
  ].join('\n');
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/latest-linux.yml') return res.end(latest);
    if (path === '/cospec-9.9.0.deb') {
      res.setHeader('content-length', served.length);
      return res.end(served);
    }
    res.statusCode = 404;
    res.end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function updatesAgainst(feed: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cospec-updater-'));
  dirs.push(dir);
  const config = join(dir, 'app-update.yml');
  writeFileSync(config, `provider: generic\nurl: ${feed}\nupdaterCacheDirName: cospec-updater-test\n`);
  const app = {
    version: '0.1.0',
    name: 'cospec',
    isPackaged: true,
    appUpdateConfigPath: config,
    userDataPath: dir,
    baseCachePath: dir,
    whenReady: async () => undefined,
    relaunch: () => undefined,
    quit: () => undefined,
    onQuit: () => undefined,
  };
  const updater = new DebUpdater(undefined, app);
  (updater as unknown as { httpExecutor: NodeDownloadExecutor }).httpExecutor = new NodeDownloadExecutor();
  updater.logger = null;
  const states: UpdateState[] = [];
  const service = createUpdatesService({
    currentVersion: '0.1.0',
    updater: electronUpdaterAdapter(updater),
    enabled: () => ({ value: true, managed: false }),
    logger: createLogger({ level: 'error', sinks: [] }),
    onChange: (state) => states.push(state),
  });
  return { service, states, updater, dir };
}

describe('electron-updater against a generic feed on loopback', () => {
  it('finds the newer version, downloads the file and checks its sha512', async () => {
    const payload = randomBytes(300_000);
    const { service, states, updater } = updatesAgainst(await serveFeed(payload, payload));
    const downloaded: string[] = [];
    updater.on('update-downloaded', (info: { downloadedFile: string }) => downloaded.push(info.downloadedFile));

    expect(await service.handlers.check()).toMatchObject({ status: 'available', availableVersion: '9.9.0' });
    expect(await service.handlers.download()).toMatchObject({ status: 'ready', downloadPercent: 100 });
    expect(states.map((s) => s.status)).toContain('downloading');
    expect(downloaded).toHaveLength(1);
    expect(readFileSync(downloaded[0]!).equals(payload)).toBe(true);
  });

  it('refuses a file whose sha512 does not match latest.yml', async () => {
    const payload = randomBytes(300_000);
    const tampered = Buffer.from(payload);
    tampered[1000] = tampered[1000]! ^ 0xff;
    const { service } = updatesAgainst(await serveFeed(payload, tampered));
    await service.handlers.check();
    const after = await service.handlers.download();
    expect(after.status).toBe('error');
    expect(after.message).toMatch(/sha512 checksum mismatch/i);
  });
});
