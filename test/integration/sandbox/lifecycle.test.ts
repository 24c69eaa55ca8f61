import { lstat, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import {
  BASE_IMAGE,
  connectEngine,
  createSandbox,
  RUN_LABEL,
  type ContainerEngine,
} from '../../../src-main/services/sandbox';
import { RUN_NETWORK_MTU } from '../../../src-main/services/sandbox/engine-docker';
import { cpuDuring, engineServicePid } from '../../support/engine-service-cpu';
import { createHarness, runCommand, sandboxSkipReason, sh, SOCKET, type Harness } from './harness';
import { remoteEngineSkipReason, startTlsEngine, type RemoteEngineFixture } from './remote-engine-harness';

/**
 * A run's container from start to removal: live logs, cancel and timeout both stop it
 * and leave nothing behind, orphans of a crashed app are removed by label, and a machine without
 * an engine gets an error that says what to do.
 */

const skip = await sandboxSkipReason();
if (skip) console.warn(`[sandbox] skipping lifecycle tests: ${skip}`);

let harness: Harness;
let engine: ContainerEngine;

const containersOf = async (runId: string) => (await engine.listContainers(RUN_LABEL, runId)).length;
const networksOf = async (runId: string) =>
  (await engine.listNetworks(RUN_LABEL)).filter((n) => n.labels[RUN_LABEL] === runId).length;
const volumesOf = async (runId: string) =>
  (await engine.listVolumes(RUN_LABEL)).filter((v) => v.labels[RUN_LABEL] === runId).length;

describe.skipIf(skip)('sandbox run lifecycle', () => {
  beforeAll(async () => {
    harness = await createHarness();
    engine = await connectEngine(SOCKET);
  });
  afterAll(async () => harness?.cleanup());

  it('keeps the live log through a silence longer than the engine client idle timeout', async () => {
    // The engine client gives up on a request silent for 10 s (engine-locate.ts); an agent that
    // prints nothing for longer (exporting, writing many files) must keep its live log.
    const r = await runCommand(harness, 'echo before; sleep 15; echo after');
    expect(r.lines.filter((line) => !line.startsWith('[coSPEC]'))).toEqual(['before', 'after']);
    expect(r.lines.join('\n')).not.toContain('interrupted');
    expect(r.result.exitCode).toBe(0);
  }, 180_000);

  it('waits for the agent without keeping the engine busy, and hears its exit code', async () => {
    // Podman's Docker-compatible wait polls the container's state in a busy loop (its API service at
    // a core or more for the whole run); the run must wait in a way that costs the engine nothing.
    const service = await engineServicePid(SOCKET);
    let cpuMs: number | undefined;
    const r = await runCommand(harness, 'sleep 6; exit 7', {
      inside: async () => {
        if (service === undefined) return;
        // The wait request is on its way once the container runs; give it a moment to reach the engine.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        cpuMs = await cpuDuring(service, 3000);
      },
    });
    expect(r.result.exitCode).toBe(7);
    if (service === undefined)
      return console.warn(`[sandbox] no Podman API service serves ${SOCKET}: CPU not measured`);
    // A busy wait costs 3,000 ms or more of CPU in these 3 s; a quiet one a few tens.
    expect(cpuMs).toBeLessThan(1000);
  }, 120_000);

  it('streams output while the agent runs, and cancel stops and removes the container', async () => {
    const abort = new AbortController();
    let runningContainer = '';
    const r = await runCommand(harness, 'echo started; sleep 600; echo not-reached', {
      signal: abort.signal,
      inside: async (c) => {
        runningContainer = c.id;
      },
      // The first line arrives while the agent still runs: that is what makes cancel possible here.
      onLine: (line) => {
        if (line === 'started') abort.abort(new CospecError('CANCELLED', 'Cancelled by the test.'));
      },
    });
    expect(r.lines).toEqual(['started']);
    expect(r.result.reason).toMatch(/Cancelled/);
    expect(r.result.exitCode).not.toBe(0);
    expect(runningContainer).not.toBe('');
    expect(await containersOf(r.runId)).toBe(0);
  });

  it('stops an agent that runs past its timeout', async () => {
    const r = await runCommand(harness, 'echo started; sleep 600; echo not-reached', { timeoutMs: 1500 });
    expect(r.lines).not.toContain('not-reached');
    expect(r.result.reason).toMatch(/Timed out/);
    expect(r.result.exitCode).not.toBe(0);
    expect(await containersOf(r.runId)).toBe(0);
  });

  it('refuses to start when the run is already cancelled', async () => {
    const abort = new AbortController();
    abort.abort(new CospecError('CANCELLED', 'Cancelled before start.'));
    await expect(runCommand(harness, 'echo never', { signal: abort.signal })).rejects.toThrow(/Cancelled before start/);
  });

  it('removes containers left by runs of a crashed app, by their run label', async () => {
    const orphan = await engine.createContainer({
      name: `cospec-orphan-${process.pid}`,
      image: BASE_IMAGE,
      cmd: ['sleep', '600'],
      env: {},
      user: '1000:1000',
      workingDir: '/',
      labels: { [RUN_LABEL]: `orphan-${process.pid}` },
      binds: [],
      tmpfs: {},
      memoryBytes: 64 * 1024 * 1024,
      nanoCpus: 1e9,
      pidsLimit: 16,
    });
    await orphan.start();
    const bystander = await engine.createContainer({
      name: `cospec-bystander-${process.pid}`,
      image: BASE_IMAGE,
      cmd: ['true'],
      env: {},
      user: '1000:1000',
      workingDir: '/',
      labels: { [RUN_LABEL]: `bystander-${process.pid}` },
      binds: [],
      tmpfs: {},
      memoryBytes: 64 * 1024 * 1024,
      nanoCpus: 1e9,
      pidsLimit: 16,
    });
    try {
      expect(await containersOf(`orphan-${process.pid}`)).toBe(1);
      await harness.sandbox.removeOrphans([`orphan-${process.pid}`, 'no-such-run']);
      expect(await containersOf(`orphan-${process.pid}`)).toBe(0);
      expect(await containersOf(`bystander-${process.pid}`)).toBe(1);
    } finally {
      await bystander.remove();
      await orphan.remove();
    }
  });

  it('diagnoses the engine and the image', async () => {
    const d = await harness.sandbox.diagnose();
    expect(d).toMatchObject({ ok: true, engine: 'Podman', image: true, endpoint: `unix://${SOCKET}` });
    expect(d.version).toMatch(/^\d+\.\d+/);
  });

  it('finds the base image, and says how to build one that is missing', async () => {
    expect(await harness.sandbox.ensureImage(() => undefined, new AbortController().signal)).toBe(BASE_IMAGE);
    const missing = createSandbox({
      logger: createLogger({ sinks: [memorySink()] }),
      socketPath: SOCKET,
      dataDir: harness.dir,
      imageName: 'localhost/cospec-no-such-image',
    });
    const error = await missing.ensureImage(() => undefined, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CospecError);
    expect((error as CospecError).code).toBe('IMAGE_BUILD_FAILED');
    expect((error as CospecError).message).toMatch(/setup:system/);
  });
});

describe.skipIf(skip)('sandbox run lifecycle, network shape (relay container and per-run network)', () => {
  let networked: Harness;
  beforeAll(async () => {
    networked = await createHarness({ egressShape: 'network' });
    engine ??= await connectEngine(SOCKET);
  });
  afterAll(async () => networked?.cleanup());

  it('runs the agent beside its relay on the run’s own network, and cancel removes all three', async () => {
    const abort = new AbortController();
    const during = { containers: 0, networks: 0 };
    const r = await runCommand(networked, 'echo started; sleep 600', {
      signal: abort.signal,
      inside: async () => {
        const runId =
          [...(await engine.listContainers(RUN_LABEL))]
            .map((c) => c.labels[RUN_LABEL] ?? '')
            .find((id) => id.startsWith(`t${process.pid}-`)) ?? '';
        during.containers = await containersOf(runId);
        during.networks = await networksOf(runId);
      },
      onLine: (line) => {
        if (line === 'started')
          setTimeout(() => abort.abort(new CospecError('CANCELLED', 'Cancelled by the test.')), 500);
      },
    });
    expect(r.result.reason).toMatch(/Cancelled/);
    expect(during).toEqual({ containers: 2, networks: 1 });
    expect(await containersOf(r.runId)).toBe(0);
    expect(await networksOf(r.runId)).toBe(0);
  });

  it('gives the run’s network a loopback-sized MTU, so proxied bytes cross it in large packets', async () => {
    const r = await runCommand(
      networked,
      'for i in /sys/class/net/*; do echo "mtu $(basename "$i") $(cat "$i/mtu")"; done',
    );
    expect(r.result.exitCode, r.lines.join('\n')).toBe(0);
    const links = r.lines.filter((line) => line.startsWith('mtu ') && !line.startsWith('mtu lo '));
    // The agent's only link is to the run's network: one interface, at the network's MTU.
    expect(links).toEqual([expect.stringMatching(new RegExp(` ${RUN_NETWORK_MTU}$`))]);
  });

  it('removes the relay and the network left by a run of a crashed app', async () => {
    const runId = `orphan-net-${process.pid}`;
    await engine.createInternalNetwork(`cospec-run-${runId}`, { [RUN_LABEL]: runId });
    const relay = await engine.createContainer({
      name: `cospec-relay-${runId}`,
      image: BASE_IMAGE,
      cmd: ['sleep', '600'],
      env: {},
      user: '65534:65534',
      workingDir: '/',
      labels: { [RUN_LABEL]: runId },
      binds: [],
      tmpfs: {},
      memoryBytes: 64 * 1024 * 1024,
      nanoCpus: 1e9,
      pidsLimit: 16,
      networks: [`cospec-run-${runId}`],
    });
    await relay.start();
    expect([await containersOf(runId), await networksOf(runId)]).toEqual([1, 1]);
    await networked.sandbox.removeOrphans([runId]);
    expect([await containersOf(runId), await networksOf(runId)]).toEqual([0, 0]);
  });
});

describe.skipIf(skip)('sandbox run lifecycle on a remote engine (tcp with TLS: volumes, tunnel, copies)', () => {
  let remoteHarness: Harness;
  let remote: RemoteEngineFixture;
  beforeAll(async () => {
    const why = remoteEngineSkipReason('tls');
    if (why) throw new Error(`the TLS engine harness cannot run: ${why}`);
    remote = await startTlsEngine();
    remoteHarness = await createHarness({ engine: remote });
    engine ??= await connectEngine(SOCKET);
  });
  afterAll(async () => {
    await remoteHarness?.cleanup();
    await remote?.stop();
  });

  it('cancel removes the agent, its relay, the run network and the run volumes', async () => {
    const abort = new AbortController();
    const during = { containers: 0, networks: 0, volumes: 0 };
    const r = await runCommand(remoteHarness, 'echo started; sleep 600', {
      signal: abort.signal,
      inside: async (c) => {
        const runId = (await engine.listContainers(RUN_LABEL)).find((x) => x.id === c.id)?.labels[RUN_LABEL] ?? '';
        Object.assign(during, {
          containers: await containersOf(runId),
          networks: await networksOf(runId),
          volumes: await volumesOf(runId),
        });
      },
      onLine: (line) => {
        if (line === 'started')
          setTimeout(() => abort.abort(new CospecError('CANCELLED', 'Cancelled by the test.')), 500);
      },
    });
    expect(r.result.reason).toMatch(/Cancelled/);
    expect(during).toEqual({ containers: 2, networks: 1, volumes: 3 });
    expect([await containersOf(r.runId), await networksOf(r.runId), await volumesOf(r.runId)]).toEqual([0, 0, 0]);
    expect(r.lines).not.toContain('[coSPEC] the workspace was copied back from the container engine');
  });

  it('copies the workspace back owned by this user, with links that stay inside it, and says what it left out', async () => {
    const r = await runCommand(
      remoteHarness,
      [
        'set -e',
        'test "$(stat -c %u /workspace)" = 1000 && echo "workspace owned by $(id -u)"',
        // The run's files and scripts arrive in volumes too, but stay the app's: the agent cannot change
        // them (the run volume's own folder may be the agent's, as Podman hands new volumes to the container user).
        'for f in /cospec/run/task.md /opt/cospec/x /opt/cospec/agents/x /opt/cospec/agents/sample-agent.sh /opt/cospec/entrypoint.sh; do touch $f 2>/dev/null && echo "wrote $f"; done; true',
        'test -r /cospec/run/task.md && test -r /opt/cospec/agents/sample-agent.sh && echo "run files readable"',
        'mkdir -p src && echo "made inside" > src/new.txt',
        'ln -s src/new.txt inside-link',
        'ln -s /etc/passwd outside-link',
        'ln -s ../../../../etc/passwd src/climbing-link',
        'mkfifo a-fifo',
        'git add src/new.txt && git -c user.name=a -c user.email=a@b commit -qm agent-work && echo committed',
      ].join('\n'),
    );
    expect(r.result.exitCode, r.lines.join('\n')).toBe(0);
    expect(r.lines).toContain('workspace owned by 1000');
    expect(r.lines.filter((l) => l.startsWith('wrote '))).toEqual([]);
    expect(r.lines).toContain('run files readable');
    const workspace = join(remoteHarness.dir, 'runs', r.runId, 'workspace');
    expect((await sh('git', ['-C', workspace, 'log', '-1', '--format=%s'])).stdout.trim()).toBe('agent-work');
    expect((await stat(join(workspace, 'src/new.txt'))).uid).toBe(process.getuid?.());
    expect(await readlink(join(workspace, 'inside-link'))).toBe('src/new.txt');
    for (const left of ['outside-link', 'src/climbing-link', 'a-fifo'])
      await expect(lstat(join(workspace, left)), `${left}: ${r.lines.join('\n')}`).rejects.toThrow(/ENOENT/);
    const log = r.lines.join('\n');
    expect(log).toMatch(
      /2 symbolic link\(s\) pointing outside the workspace or through another link were not copied back: .*outside-link/,
    );
    expect(log).toMatch(/1 special file\(s\) were not copied back: a-fifo/);
    expect(await volumesOf(r.runId)).toBe(0);
  });

  it('removes volumes left by a run of a crashed app', async () => {
    const runId = `orphan-vol-${process.pid}`;
    await engine.createVolume(`cospec-ws-${runId}`, { [RUN_LABEL]: runId });
    expect(await volumesOf(runId)).toBe(1);
    await remoteHarness.sandbox.removeOrphans([runId]);
    expect(await volumesOf(runId)).toBe(0);
  });
});

describe('without a container engine', () => {
  const noEngine = () =>
    createSandbox({
      logger: createLogger({ sinks: [memorySink()] }),
      socketPath: '/nonexistent/cospec/podman.sock',
      dataDir: '/nonexistent',
    });

  it('says which socket it tried and what to install or start', async () => {
    const error = await noEngine()
      .ensureImage(() => undefined, new AbortController().signal)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CospecError);
    expect((error as CospecError).code).toBe('ENGINE_UNAVAILABLE');
    expect((error as CospecError).message).toContain('unix:///nonexistent/cospec/podman.sock');
    expect((error as CospecError).message).toMatch(/setup:system|Docker Desktop|Podman/);
  });

  it('reports it in diagnose instead of throwing', async () => {
    const d = await noEngine().diagnose();
    expect(d.ok).toBe(false);
    expect(d.message).toMatch(/No container engine answered/);
  });

  it('explains a socket that exists but does not answer', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { createServer } = await import('node:net');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'cospec-dead-engine-'));
    const path = join(dir, 'engine.sock');
    // A socket that accepts and hangs up at once, like a crashed engine's leftover service.
    const server = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const error = await connectEngine(path).catch((e: unknown) => e);
      expect((error as CospecError).code).toBe('ENGINE_UNAVAILABLE');
      expect((error as CospecError).detail).toContain(path);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
