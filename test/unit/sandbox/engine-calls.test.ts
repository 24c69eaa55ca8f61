import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import { connectEngine } from '../../../src-main/services/sandbox';
import { RUN_NETWORK_MTU } from '../../../src-main/services/sandbox/engine-docker';
import { engineFrame } from '../../support/engine-frame';

/**
 * Engine control calls against an engine socket that misbehaves: a call the engine leaves
 * unanswered is reported as a slow engine, not as a missing one, a read whose connection drops
 * once is tried again, and a container removal the engine refuses while the container is between
 * states is asked again until it goes through.
 */

const LABEL = 'cospec.test.engine-calls';

let dir: string | undefined;
const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An engine socket that answers the ping and hands every other request to `handle`. */
async function serveEngine(name: string, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  dir ??= await mkdtemp(join(tmpdir(), 'cospec-engine-calls-'));
  const path = join(dir, `${name}-${servers.length}.sock`);
  const server = createServer((req, res) => {
    if (req.url?.endsWith('/_ping')) return void res.end('OK');
    handle(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return path;
}

function answerJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Answers /version and /info as Podman 4.3 or a Docker engine would; false for any other request. */
function answerIdentity(req: IncomingMessage, res: ServerResponse, podman: boolean): boolean {
  if (req.method !== 'GET') return false;
  if (/\/version$/.test(req.url ?? '')) {
    answerJson(res, 200, {
      Version: podman ? '4.3.1' : '27.0.0',
      ApiVersion: '1.41',
      Components: [{ Name: podman ? 'Podman Engine' : 'Engine' }],
    });
    return true;
  }
  if (/\/info$/.test(req.url ?? '')) {
    answerJson(res, 200, { OperatingSystem: 'Debian' });
    return true;
  }
  return false;
}

/** The one container the engines below hold. */
const ID = 'c0ffee';
const SPEC = {
  name: 'cospec-test-container',
  image: 'localhost/cospec-sandbox-base',
  cmd: ['true'],
  env: {},
  user: '1000:1000',
  workingDir: '/workspace',
  labels: { [LABEL]: '1' },
  binds: [],
  tmpfs: {},
  memoryBytes: 256 * 1024 * 1024,
  nanoCpus: 1e9,
  pidsLimit: 64,
};

/** An engine socket that creates the container ID and hands every other call to `handle`. */
function oneContainerEngine(
  name: string,
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<string> {
  return serveEngine(name, (req, res) => {
    if (req.method === 'POST' && req.url?.includes('/containers/create')) return answerJson(res, 201, { Id: ID });
    handle(req, res);
  });
}

describe('engine calls on an engine that stops answering', () => {
  /** An engine socket that does what `answer` says with every call but the ping. */
  function fakeEngine(answer: 'silent' | 'hang-up' | 'drop-once'): Promise<string> {
    let dropped = 0;
    return serveEngine(answer, (req, res) => {
      if (answer === 'hang-up' || (answer === 'drop-once' && dropped++ === 0)) return void req.socket.destroy();
      if (answer === 'drop-once') return answerJson(res, 200, []);
      // silent: never answers, as an engine stuck behind its own locks.
    });
  }

  it('says the engine is slow or stuck, not missing, when a call goes unanswered', async () => {
    const engine = await connectEngine(await fakeEngine('silent'), {}, 800);
    const error = await engine.listContainers(LABEL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CospecError);
    expect((error as CospecError).code).toBe('ENGINE_TIMEOUT');
    expect((error as CospecError).message).toMatch(/did not answer within 1 s.*overloaded or stuck/);
  });

  it('still says the engine went away when it drops the connection at once', async () => {
    const engine = await connectEngine(await fakeEngine('hang-up'), {}, 30_000);
    const error = await engine.listContainers(LABEL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CospecError);
    expect((error as CospecError).code).toBe('ENGINE_UNAVAILABLE');
  });

  it('tries a read once more when the engine drops its connection, and says so if it keeps dropping', async () => {
    const engine = await connectEngine(await fakeEngine('drop-once'), {}, 30_000);
    expect(await engine.listContainers(LABEL)).toEqual([]);
    const gone = await connectEngine(await fakeEngine('hang-up'), {}, 30_000);
    await expect(gone.listContainers(LABEL)).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
  });
});

describe('removing a container the engine says is between states', () => {
  type Answer = { status: number; message: string } | 'removed';
  // What Podman answers a forced remove of a container that is exiting at that moment.
  const STATE_IMPROPER: Answer = {
    status: 500,
    message: `cannot remove container ${ID} as it could not be stopped: sending SIGKILL to container ${ID}: container state improper`,
  };

  /**
   * An engine that creates one container and answers the n-th remove of it (from 0) with
   * `answer(n)`, counting the removes it was sent.
   */
  async function removalEngine(answer: (n: number) => Answer) {
    const removes = { count: 0 };
    const socket = await oneContainerEngine('remove', (req, res) => {
      if (req.method === 'DELETE' && req.url?.includes(`/containers/${ID}`)) {
        const a = answer(removes.count++);
        if (a === 'removed') return void res.writeHead(204).end();
        return answerJson(res, a.status, { cause: a.message, message: a.message, response: a.status });
      }
      answerJson(res, 404, { message: `no route for ${req.method} ${req.url}` });
    });
    return { engine: await connectEngine(socket, {}, 30_000), removes };
  }

  it('asks again when the engine answers "container state improper" once, until the remove goes through', async () => {
    const { engine, removes } = await removalEngine((n) => (n < 1 ? STATE_IMPROPER : 'removed'));
    await engine.removeContainer(ID);
    expect(removes.count).toBe(2);
  });

  it("asks again through a run's own handle when the engine answers it twice", async () => {
    const { engine, removes } = await removalEngine((n) => (n < 2 ? STATE_IMPROPER : 'removed'));
    const container = await engine.createContainer(SPEC);
    await container.remove();
    expect(removes.count).toBe(3);
  });

  it('is done when a removal already under way took the container (409, then 404)', async () => {
    const { engine, removes } = await removalEngine((n) =>
      n < 1
        ? { status: 409, message: `removal of container ${ID} is already in progress` }
        : { status: 404, message: `no container with name or ID "${ID}" found: no such container` },
    );
    await engine.removeContainer(ID);
    expect(removes.count).toBe(2);
  });

  it('keeps any other engine failure a failure, without asking again', async () => {
    const { engine, removes } = await removalEngine(() => ({
      status: 500,
      message: `container ${ID} could not be removed: read-only file system`,
    }));
    await expect(engine.removeContainer(ID)).rejects.toThrow(/read-only file system/);
    expect(removes.count).toBe(1);
    const container = await engine.createContainer(SPEC);
    await expect(container.remove()).rejects.toThrow(/read-only file system/);
    expect(removes.count).toBe(2);
  });
});

describe('waiting for a container', () => {
  const idleTimeoutMs = 300;

  /**
   * An engine whose wait request answers `exitCode` after `waitMs` (never when undefined), the
   * headers at once as Docker does; the state says running until then, exited with `exitCode`
   * from `exitedAfterMs` on. Counts the waits sent and those closed before their answer.
   */
  async function waitingEngine(opts: {
    exitCode: number;
    waitMs?: number;
    exitedAfterMs: number;
    /** Podman answers its own wait endpoint with the exit code as text. */
    podman?: boolean;
  }) {
    const waits = { sent: 0, closedUnanswered: 0, urls: [] as string[], bodies: [] as string[] };
    const started = Date.now();
    const socket = await oneContainerEngine('wait', (req, res) => {
      if (answerIdentity(req, res, opts.podman === true)) return;
      if (req.method === 'POST' && req.url?.includes(`/containers/${ID}/wait`)) {
        waits.sent++;
        waits.urls.push(req.url);
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => waits.bodies.push(body));
        res.writeHead(200, { 'content-type': opts.podman ? 'text/plain; charset=us-ascii' : 'application/json' });
        res.flushHeaders();
        let answered = false;
        req.socket.once('close', () => {
          if (!answered) waits.closedUnanswered++;
        });
        if (opts.waitMs !== undefined)
          setTimeout(() => {
            answered = true;
            res.end(opts.podman ? `${opts.exitCode}\n` : JSON.stringify({ StatusCode: opts.exitCode }));
          }, opts.waitMs);
        return;
      }
      if (req.method === 'GET' && req.url?.includes(`/containers/${ID}/json`)) {
        const running = Date.now() - started < opts.exitedAfterMs;
        return answerJson(res, 200, {
          Id: ID,
          State: {
            Status: running ? 'running' : 'exited',
            Running: running,
            ExitCode: running ? 0 : opts.exitCode,
            OOMKilled: false,
          },
        });
      }
      answerJson(res, 404, { message: `no route for ${req.method} ${req.url}` });
    });
    const engine = await connectEngine(socket, {}, idleTimeoutMs);
    return { container: await engine.createContainer(SPEC), waits };
  }

  it('hears an exit later than the idle timeout from the wait request itself, which nothing cut off', async () => {
    const { container, waits } = await waitingEngine({
      exitCode: 3,
      waitMs: idleTimeoutMs * 4,
      exitedAfterMs: idleTimeoutMs * 4,
    });
    expect(await container.wait()).toEqual({ exitCode: 3, oomKilled: false });
    expect(waits).toMatchObject({ sent: 1, closedUnanswered: 0 });
    expect(waits.urls).toEqual([expect.stringMatching(new RegExp(`^/containers/${ID}/wait$`))]);
  });

  it('waits on Podman through its own endpoint with an interval, never the compatible one that spins', async () => {
    const { container, waits } = await waitingEngine({
      podman: true,
      exitCode: 3,
      waitMs: idleTimeoutMs * 4,
      exitedAfterMs: idleTimeoutMs * 4,
    });
    expect(await container.wait()).toEqual({ exitCode: 3, oomKilled: false });
    expect(waits).toMatchObject({ sent: 1, closedUnanswered: 0 });
    expect(waits.urls).toEqual([`/v4.0.0/libpod/containers/${ID}/wait?interval=100ms`]);
    await vi.waitFor(() => expect(waits.bodies).toEqual(['']));
  });

  it('reads an exit the wait request misses from the state, and lets go of the wait', async () => {
    const { container, waits } = await waitingEngine({ exitCode: 5, exitedAfterMs: 0 });
    expect(await container.wait()).toEqual({ exitCode: 5, oomKilled: false });
    await vi.waitFor(() => expect(waits).toMatchObject({ sent: 1, closedUnanswered: 1 }));
  });
});

describe("attaching to a container's main process", () => {
  it('sends no body (it would reach the process as stdin) and an empty detachKeys, and carries both ways', async () => {
    const seen: { url?: string; headers?: Record<string, unknown>; stdin: string } = { stdin: '' };
    const socket = await oneContainerEngine('attach', () => undefined);
    const server = servers[servers.length - 1]!;
    // The engine upgrades the request and the connection carries raw stdin one way, multiplexed
    // stdout frames the other, as Podman and Docker do.
    let upgraded: Socket | undefined;
    server.on('upgrade', (req: IncomingMessage, conn: Socket, head: Buffer) => {
      upgraded = conn;
      seen.url = req.url;
      seen.headers = req.headers;
      conn.write(
        'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n',
      );
      const onStdin = (chunk: Buffer) => {
        seen.stdin += chunk.toString();
        conn.write(engineFrame(1, Buffer.from(`echo ${chunk.toString()}`)));
      };
      if (head.length) onStdin(head);
      conn.on('data', onStdin);
    });
    const engine = await connectEngine(socket, {}, 30_000);
    const container = await engine.createContainer({ ...SPEC, attached: true });
    const stream = await container.attachStream({});
    const echoed = new Promise<string>((resolve) => stream.stdout.once('data', (d: Buffer) => resolve(d.toString())));
    stream.stdin.write('hello');
    expect(await echoed).toBe('echo hello');
    expect(seen.stdin).toBe('hello');
    expect(seen.url).toMatch(new RegExp(`^/containers/${ID}/attach\\?`));
    expect(new URLSearchParams(seen.url!.split('?')[1]).get('detachKeys')).toBe('');
    expect(seen.headers?.['content-length']).toBe('0');
    expect(seen.headers?.['transfer-encoding']).toBeUndefined();
    stream.close();
    // An upgraded connection is no longer the server's to close.
    upgraded?.destroy();
  });
});

describe("creating a run's internal network", () => {
  /** An engine that records the network it is asked to create. */
  async function networkEngine(podman: boolean) {
    const created: Array<{ url: string; body: Record<string, unknown> }> = [];
    const socket = await serveEngine('network', (req, res) => {
      if (answerIdentity(req, res, podman)) return;
      // dockerode repeats the body as a query string, which Docker ignores.
      if (req.method === 'POST' && /\/networks\/create(\?|$)/.test(req.url ?? '')) {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          created.push({ url: req.url?.split('?')[0] ?? '', body: JSON.parse(body) as Record<string, unknown> });
          answerJson(res, 201, { Id: 'n1', name: 'cospec-run-x' });
        });
        return;
      }
      answerJson(res, 404, { message: `no route for ${req.method} ${req.url}` });
    });
    return { engine: await connectEngine(socket), created };
  }

  it('asks Podman for no DNS, no gateway and a loopback-sized MTU, through its own endpoint', async () => {
    const { engine, created } = await networkEngine(true);
    await engine.createInternalNetwork('cospec-run-x', { [LABEL]: 'x' });
    expect(created).toEqual([
      {
        url: '/v4.0.0/libpod/networks/create',
        body: expect.objectContaining({
          name: 'cospec-run-x',
          internal: true,
          dns_enabled: false,
          options: { mtu: String(RUN_NETWORK_MTU) },
          labels: { [LABEL]: 'x' },
        }),
      },
    ]);
  });

  it('asks Docker for an internal bridge without a host address, with the same MTU', async () => {
    const { engine, created } = await networkEngine(false);
    await engine.createInternalNetwork('cospec-run-x', { [LABEL]: 'x' });
    expect(created.map((c) => c.url)).toEqual(['/networks/create']);
    expect(created[0]!.body).toMatchObject({
      Name: 'cospec-run-x',
      Internal: true,
      Options: {
        'com.docker.network.bridge.inhibit_ipv4': 'true',
        'com.docker.network.driver.mtu': String(RUN_NETWORK_MTU),
      },
    });
  });
});
