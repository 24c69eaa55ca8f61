import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { CospecError } from '../../../src-shared/ipc/errors';
import type {
  ContainerEngine,
  ContainerExit,
  ContainerHandle,
  ContainerSpec,
  EngineInfo,
  ProcessStream,
  ImageInfo,
} from './engine';
import { demuxEngineStream } from './demux';
import { splitLines } from './lines';
import { singleFileTar } from './tar';

/**
 * ContainerEngine over the Docker Engine API with dockerode. Podman quirks handled here: both nofile
 * and nproc ulimits are always passed with soft == hard, OOMKilled is not trusted (the executor
 * reports exit 137 as "probably out of memory"), and a run's wait goes through libpod's own endpoint
 * (the compatible one spins; DockerContainer.waitRequest).
 */

/** How often Podman's wait looks at the container's state (a Go duration). */
export const PODMAN_WAIT_INTERVAL = '100ms';

/**
 * One raw request through docker-modem, for what dockerode has no method for or sends in a way
 * the engine takes wrongly; the answer as the modem gives it (parsed JSON, text, or a stream).
 */
function dialModem(modem: Docker['modem'], options: Parameters<Docker['modem']['dial']>[0]): Promise<unknown> {
  return new Promise((resolve, reject) =>
    modem.dial(options, (err: Error | null, data: unknown) => (err ? reject(err) : resolve(data))),
  );
}

const INSTALL_HINT =
  'Install and start a container engine: on Linux run `npm run setup:system` (Podman) or start Docker; on macOS and Windows start Docker Desktop, Podman Desktop (podman machine start), Colima or Rancher Desktop. ' +
  'Or set the engine socket in Settings (COSPEC_CONTAINER_SOCKET / DOCKER_HOST).';

export function engineUnavailable(tried: string[], detail?: string): CospecError {
  return new CospecError(
    'ENGINE_UNAVAILABLE',
    `No container engine answered (tried ${tried.join(', ')}). ${INSTALL_HINT}`,
    detail,
  );
}

/**
 * How long a control call (create, start, remove, inspect, list) may stay silent before it counts
 * as unanswered. A loaded engine takes seconds for calls that are instant on a quiet one (several
 * containers starting and stopping at once hold its locks), so this is generous; the first ping
 * that finds the engine keeps a short one (engine-locate.ts) so a missing engine is said at once.
 */
export const ENGINE_CALL_TIMEOUT_MS = 60_000;

const TRANSPORT_FAILURE = /ECONNREFUSED|ECONNRESET|socket hang up|EPIPE/;

/**
 * The client's idle timeout destroys the request, which docker-modem reports as "socket hang up":
 * the same words as an engine that went away. The time spent tells them apart, so a slow engine is
 * not reported as a missing one.
 */
function asEngineError(error: unknown, endpoint: string, elapsedMs = 0, timeoutMs = ENGINE_CALL_TIMEOUT_MS): unknown {
  if (error instanceof CospecError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (TRANSPORT_FAILURE.test(message) && elapsedMs >= timeoutMs * 0.95)
    return new CospecError(
      'ENGINE_TIMEOUT',
      `The container engine at ${endpoint} did not answer within ${Math.round(timeoutMs / 1000)} s. It may be overloaded or stuck: wait for other containers to finish, or restart the engine (Podman: \`podman system service\`; Docker Desktop, Podman Desktop, Colima: restart it from its menu).`,
      message,
    );
  if (/ECONNREFUSED|ENOENT|EACCES|socket hang up|EPIPE/.test(message)) return engineUnavailable([endpoint], message);
  return error;
}

/**
 * Runs one engine call, turning its transport failures into errors that say what to do. A call
 * that reads, or whose repeat does no harm (a remove that finds nothing answers 404), is tried once
 * more when the connection broke before an answer: a busy engine drops one now and then, and a run
 * should not fail for it. A call that timed out is not repeated: the engine is slow, not gone.
 * A call marked `settling` is also tried again, a few times with a growing pause, while the engine
 * says the container is between states (containerSettling).
 */
async function engineCall<T>(
  endpoint: string,
  timeoutMs: number,
  fn: () => Promise<T>,
  opts: { repeatable?: boolean; settling?: boolean } = {},
): Promise<T> {
  let droppedBefore = false;
  let settlingTries = 0;
  for (;;) {
    const started = Date.now();
    try {
      return await fn();
    } catch (error) {
      const elapsed = Date.now() - started;
      const message = error instanceof Error ? error.message : String(error);
      const dropped = !(error instanceof CospecError) && TRANSPORT_FAILURE.test(message) && elapsed < timeoutMs * 0.95;
      if (opts.repeatable && dropped && !droppedBefore) {
        droppedBefore = true;
        await new Promise((resolve) => setTimeout(resolve, 250));
        continue;
      }
      if (opts.settling && settlingTries < SETTLING_PAUSES_MS.length && containerSettling(error)) {
        await new Promise((resolve) => setTimeout(resolve, SETTLING_PAUSES_MS[settlingTries++]));
        continue;
      }
      throw asEngineError(error, endpoint, elapsed, timeoutMs);
    }
  }
}

/**
 * Podman refuses a forced remove of a container that is exiting at that very moment with a 500
 * ("cannot remove container … as it could not be stopped: … container state improper"), and both
 * engines refuse a second remove while one is under way ("removal … already in progress", Podman
 * 500, Docker 409). A moment later the container is stopped or gone, so these answers are waited
 * out; any other 500 is a real failure and stays one.
 */
const SETTLING_ANSWER = /state improper|removal .*already in progress|already being removed/i;
const SETTLING_PAUSES_MS = [200, 500, 1000, 2000];

function containerSettling(error: unknown): boolean {
  const status = statusOf(error);
  return (status === 500 || status === 409) && SETTLING_ANSWER.test(error instanceof Error ? error.message : '');
}

const statusOf = (error: unknown): number | undefined => (error as { statusCode?: number } | null)?.statusCode;

/**
 * Removes a container with its anonymous volumes, stopping it first if it still runs. Done when it
 * is gone, including when it was gone already (404); an engine that says the container is between
 * states is asked again (engineCall's `settling`), so a run's clean-up does not fail on that race.
 */
async function forceRemove(container: Docker.Container, endpoint: string, timeoutMs: number): Promise<void> {
  try {
    await engineCall(endpoint, timeoutMs, () => container.remove({ force: true, v: true }), {
      repeatable: true,
      settling: true,
    });
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

/** Local engines listen on a unix socket or a Windows named pipe; anything else is another machine. */
export function isRemoteEndpoint(endpoint: string): boolean {
  return !endpoint.startsWith('unix://') && !endpoint.startsWith('npipe:');
}

/**
 * The MTU of a run's internal network. Its packets only go between the agent's container and the
 * relay, on the engine's own bridge, never onto a physical link, so they can be as large as
 * loopback's (65520 is what Podman gives its user-mode networks). At the default 1500 every
 * proxied byte crossed the bridge in small packets: the network shape moved a fast local download
 * at 38–44 % of direct, against 56–67 % with this (bench/sandbox.ts).
 */
export const RUN_NETWORK_MTU = 65520;

export class DockerEngine implements ContainerEngine {
  readonly remote: boolean;

  constructor(
    private readonly docker: Docker,
    readonly endpoint: string,
    /** The same engine with no idle timeout, for responses that may be silent for minutes (builds, streams). */
    private readonly streaming: Docker = docker,
    private readonly release: () => Promise<void> = async () => undefined,
    /** The idle timeout `docker` was made with, to tell a slow engine from a missing one. */
    private readonly timeoutMs = ENGINE_CALL_TIMEOUT_MS,
  ) {
    this.remote = isRemoteEndpoint(endpoint);
  }

  close(): Promise<void> {
    return this.release();
  }

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return engineCall(this.endpoint, this.timeoutMs, fn);
  }

  /** A call that may be sent twice: a read, or a remove. */
  private repeatable<T>(fn: () => Promise<T>): Promise<T> {
    return engineCall(this.endpoint, this.timeoutMs, fn, { repeatable: true });
  }

  async version() {
    const v = await this.repeatable(() => this.docker.version());
    const podman = v.Components?.some((c) => /podman/i.test(c.Name));
    return { engine: podman ? 'Podman' : 'Docker', version: v.Version, apiVersion: v.ApiVersion };
  }

  private infoCache: Promise<EngineInfo> | undefined;

  info(): Promise<EngineInfo> {
    this.infoCache ??= (async () => {
      const [v, i] = await Promise.all([
        this.version(),
        this.repeatable(() => this.docker.info() as Promise<{ OperatingSystem?: string }>),
      ]);
      const engine = v.engine === 'Podman' ? 'Podman' : 'Docker';
      return {
        engine,
        operatingSystem: String(i.OperatingSystem ?? ''),
        defaultNetwork: engine === 'Podman' ? 'podman' : 'bridge',
      } satisfies EngineInfo;
    })().catch((error: unknown) => {
      this.infoCache = undefined;
      throw error;
    });
    return this.infoCache;
  }

  async createInternalNetwork(name: string, labels: Record<string, string>): Promise<void> {
    const { engine } = await this.info();
    if (engine === 'Podman') {
      // The Docker-compatible endpoint turns DNS on under netavark, and aardvark-dns forwards to the
      // host's resolver (a DNS leak): Podman's own endpoint can say no.
      await this.dial('POST', '/v4.0.0/libpod/networks/create', {
        name,
        driver: 'bridge',
        internal: true,
        dns_enabled: false,
        ipv6_enabled: false,
        options: { mtu: String(RUN_NETWORK_MTU) },
        labels,
      });
      return;
    }
    // inhibit_ipv4: the bridge gets no host address, so nothing on the engine's host is reachable from it.
    await this.call(() =>
      this.docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        Internal: true,
        EnableIPv6: false,
        Labels: labels,
        Options: {
          'com.docker.network.bridge.inhibit_ipv4': 'true',
          'com.docker.network.driver.mtu': String(RUN_NETWORK_MTU),
        },
      }),
    );
  }

  async networkGateway(name: string): Promise<string | undefined> {
    const net = (await this.repeatable(() => this.docker.getNetwork(name).inspect())) as {
      IPAM?: { Config?: Array<{ Gateway?: string; Subnet?: string }> };
    };
    return net.IPAM?.Config?.find((c) => c.Gateway && !c.Gateway.includes(':'))?.Gateway;
  }

  async listNetworks(label: string) {
    const list = (await this.repeatable(() => this.docker.listNetworks({ filters: { label: [label] } }))) as Array<{
      Name: string;
      Labels?: Record<string, string>;
    }>;
    return list.map((n) => ({ name: n.Name, labels: n.Labels ?? {} }));
  }

  async removeNetwork(name: string): Promise<void> {
    try {
      await this.repeatable(() => this.docker.getNetwork(name).remove());
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.call(() => this.docker.createVolume({ Name: name, Labels: labels }));
  }

  async listVolumes(label: string) {
    const list = (await this.repeatable(() => this.docker.listVolumes({ filters: { label: [label] } }))) as {
      Volumes?: Array<{ Name: string; Labels?: Record<string, string> | null }> | null;
    };
    return (list.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.repeatable(() => this.docker.getVolume(name).remove({ force: true }));
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  /** A raw API call, for the few endpoints dockerode has no method for. */
  private dial(method: 'POST' | 'GET', path: string, body: unknown): Promise<unknown> {
    return this.call(() =>
      dialModem(this.docker.modem, {
        path,
        method,
        options: body as Record<string, unknown>,
        statusCodes: {
          200: true,
          201: true,
          204: true,
          400: 'bad request',
          404: 'not found',
          409: 'conflict',
          500: 'server error',
        },
      }),
    );
  }

  async inspectImage(name: string): Promise<ImageInfo | undefined> {
    try {
      const info = await this.repeatable(() => this.docker.getImage(name).inspect());
      return { id: info.Id, labels: info.Config?.Labels ?? {} };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async buildImage(opts: {
    tag: string;
    containerfile: string;
    labels: Record<string, string>;
    onProgress(line: string): void;
    signal: AbortSignal;
  }): Promise<void> {
    const context = singleFileTar('Dockerfile', opts.containerfile);
    const stream = (await this.call(() =>
      this.streaming.buildImage(context as unknown as NodeJS.ReadableStream, {
        t: opts.tag,
        labels: opts.labels,
        rm: true,
        forcerm: true,
      }),
    )) as Readable;
    const abort = () => stream.destroy(new CospecError('CANCELLED', 'Image build cancelled.'));
    opts.signal.addEventListener('abort', abort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        this.streaming.modem.followProgress(
          stream,
          (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
            const failed = output?.find((o) => o.error);
            if (err || failed)
              reject(
                new CospecError(
                  'IMAGE_BUILD_FAILED',
                  `Building the sandbox image failed: ${err?.message ?? failed?.error ?? ''}`,
                ),
              );
            else resolve();
          },
          (event: { stream?: string; status?: string }) => {
            const text = event.stream ?? event.status;
            if (text) for (const line of text.split('\n')) if (line.trim()) opts.onProgress(line.trim());
          },
        );
      });
    } finally {
      opts.signal.removeEventListener('abort', abort);
    }
  }

  async createContainer(spec: ContainerSpec): Promise<ContainerHandle> {
    const [first, ...more] = spec.networks ?? [];
    const container = await this.call(() =>
      this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.cmd,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        User: spec.user,
        WorkingDir: spec.workingDir,
        Labels: spec.labels,
        Tty: false,
        AttachStdin: spec.attached === true,
        OpenStdin: spec.attached === true,
        ...(first ? {} : { NetworkDisabled: true }),
        HostConfig: {
          NetworkMode: first ?? 'none',
          ...(spec.attached ? { LogConfig: { Type: 'none', Config: {} } } : {}),
          Binds: [
            ...spec.binds.map((b) => `${b.host}:${b.container}:${b.readOnly ? 'ro' : 'rw'}`),
            ...(spec.volumes ?? []).map((v) => `${v.volume}:${v.container}:rw`),
          ],
          Tmpfs: spec.tmpfs,
          ReadonlyRootfs: true,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          Privileged: false,
          Memory: spec.memoryBytes,
          MemorySwap: spec.memoryBytes,
          NanoCpus: spec.nanoCpus,
          PidsLimit: spec.pidsLimit,
          Ulimits: [
            { Name: 'nofile', Soft: 4096, Hard: 4096 },
            { Name: 'nproc', Soft: 4096, Hard: 4096 },
          ],
          IpcMode: 'private',
        },
      }),
    );
    try {
      for (const name of more) await this.call(() => this.docker.getNetwork(name).connect({ Container: container.id }));
    } catch (error) {
      await container.remove({ force: true }).catch(() => undefined);
      throw error;
    }
    return new DockerContainer(
      container,
      this.endpoint,
      this.streaming.getContainer(container.id),
      this.timeoutMs,
      () =>
        this.info().then(
          (i) => i.engine === 'Podman',
          () => false,
        ),
    );
  }

  async listContainers(label: string, value?: string) {
    const list = await this.repeatable(() =>
      this.docker.listContainers({
        all: true,
        filters: { label: [value === undefined ? label : `${label}=${value}`] },
      }),
    );
    return list.map((c) => ({ id: c.Id, labels: c.Labels ?? {} }));
  }

  removeContainer(id: string): Promise<void> {
    return forceRemove(this.docker.getContainer(id), this.endpoint, this.timeoutMs);
  }
}

class DockerContainer implements ContainerHandle {
  constructor(
    private readonly container: Docker.Container,
    private readonly endpoint: string,
    /** The same container through the client without an idle timeout (long-lived streams, archives). */
    private readonly streaming: Docker.Container = container,
    private readonly timeoutMs = ENGINE_CALL_TIMEOUT_MS,
    /** Whether the engine is Podman, whose Docker-compatible wait is a busy loop (see waitRequest). */
    private readonly isPodman: () => Promise<boolean> = async () => false,
  ) {}

  private call<T>(fn: () => Promise<T>): Promise<T> {
    return engineCall(this.endpoint, this.timeoutMs, fn);
  }

  get id() {
    return this.container.id;
  }

  async start() {
    await this.call(() => this.container.start());
  }

  async followLogs(
    onLine: (line: string, stream: 'stdout' | 'stderr') => void,
    stopped: Promise<unknown>,
  ): Promise<void> {
    const seen = { stdout: 0, stderr: 0 };
    const emit = (line: string, stream: 'stdout' | 'stderr') => {
      seen[stream]++;
      onLine(line, stream);
    };
    let stoppedYet = false;
    void stopped.then(() => {
      stoppedYet = true;
    });
    // The follow stream is silent for as long as the agent prints nothing (minutes of exporting or
    // writing files): it goes through the client without an idle timeout, which would cut it off.
    const raw = (await this.streaming.logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable;
    const out = new PassThrough();
    const err = new PassThrough();
    demuxEngineStream(raw, out, err);
    const split = Promise.all([splitLines(out, (l) => emit(l, 'stdout')), splitLines(err, (l) => emit(l, 'stderr'))]);
    const ended = new Promise<void>((resolve) => {
      raw.on('end', resolve);
      raw.on('close', resolve);
      raw.on('error', () => resolve());
    });
    // Podman 4.3 sometimes never ends a follow stream when the container exits around the time it
    // was opened. Once the container has stopped, give the stream a moment, then read the stored
    // log instead and deliver the lines the stream missed.
    const graceAfterStop = stopped.then(
      () => new Promise<'stuck'>((resolve) => setTimeout(() => resolve('stuck'), 2000).unref()),
    );
    const outcome = await Promise.race([ended.then(() => 'ended' as const), graceAfterStop]);
    raw.destroy();
    out.end();
    err.end();
    await split;
    if (outcome === 'ended' && stoppedYet) return;
    // The stream broke while the container still ran (the engine or the connection dropped it):
    // the lines it would have carried are in the stored log once the container stops.
    if (outcome === 'ended') await stopped;
    const stored = (await this.container.logs({ follow: false, stdout: true, stderr: true })) as unknown as Buffer;
    for (const stream of ['stdout', 'stderr'] as const) {
      const lines = demuxToText(stored, stream === 'stdout' ? 1 : 2).split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      for (const line of lines.slice(seen[stream])) emit(line.replace(/\r$/, ''), stream);
    }
  }

  async wait(): Promise<ContainerExit> {
    // The wait is answered only when the agent exits, often after longer than the idle timeout of
    // the control client, which destroys such a request without ever settling it
    // (docker-modem/lib/modem.js, buildRequest): it goes through the client without one, and is
    // aborted when the polling below saw the exit first, so no request outlives the run.
    // The wait request can also miss an exit under podman 4.3; polling the state backs it up.
    const waiting = new AbortController();
    let polling = true;
    const poll = async (): Promise<{ StatusCode: number }> => {
      while (polling) {
        await new Promise((resolve) => setTimeout(resolve, 1000).unref());
        const info = await this.container.inspect().catch(() => undefined);
        if (info && !info.State.Running && info.State.Status !== 'created' && info.State.Status !== 'configured')
          return { StatusCode: info.State.ExitCode };
      }
      return new Promise(() => undefined);
    };
    const waited = this.waitRequest(waiting.signal);
    const result = await Promise.race([waited, poll()]).finally(() => {
      polling = false;
      waiting.abort();
    });
    let oomKilled = false;
    try {
      oomKilled = (await this.container.inspect()).State.OOMKilled;
    } catch {
      // Removed meanwhile (cancel): the exit code is all there is.
    }
    return { exitCode: result.StatusCode, oomKilled };
  }

  /**
   * The engine's own wait for the exit. Podman's Docker-compatible endpoint polls the container's
   * state with a 1 µs interval (libpod's compat handler before Podman 4.5), which keeps the API
   * service at a whole core or more for as long as the run lasts: on a laptop that is fan noise and
   * battery, and every byte the run's egress moves competes with it (bench/sandbox.ts measures it).
   * Podman's own endpoint takes the interval: a few state reads a second, the exit heard within
   * PODMAN_WAIT_INTERVAL.
   */
  private async waitRequest(signal: AbortSignal): Promise<{ StatusCode: number }> {
    if (!(await this.isPodman())) return (await this.streaming.wait({ abortSignal: signal })) as { StatusCode: number };
    const answer = await dialModem(this.streaming.modem, {
      path: `/v4.0.0/libpod/containers/${encodeURIComponent(this.id)}/wait?`,
      method: 'POST',
      // In the query string only: an empty body is sent as none.
      options: { _query: { interval: PODMAN_WAIT_INTERVAL }, _body: {} },
      abortSignal: signal,
      statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
    });
    // The exit code as text ("3\n"); a JSON client may have parsed it into a number already.
    const code = Number(String(answer).trim());
    if (!Number.isInteger(code))
      throw new Error(`the engine's wait answered ${JSON.stringify(String(answer).slice(0, 80))}`);
    return { StatusCode: code };
  }

  async kill(): Promise<void> {
    try {
      await this.container.kill({ signal: 'SIGKILL' });
    } catch (error) {
      const status = (error as { statusCode?: number }).statusCode;
      // 304/409: not running; 404: gone. Either way it is stopped.
      if (status !== 304 && status !== 409 && status !== 404 && status !== 500) throw error;
    }
  }

  async exec(cmd: string[], opts: { user?: string } = {}): Promise<{ exitCode: number; output: string }> {
    const exec = await this.container.exec({
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
      ...(opts.user ? { User: opts.user } : {}),
    });
    const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (c: Buffer) => chunks.push(c));
    demuxEngineStream(stream, sink, sink);
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
  }

  async execDetached(cmd: string[], opts: { user?: string } = {}): Promise<void> {
    await this.call(async () => {
      const exec = await this.container.exec({
        Cmd: cmd,
        AttachStdout: false,
        AttachStderr: false,
        ...(opts.user ? { User: opts.user } : {}),
      });
      await exec.start({ Detach: true });
    });
  }

  async attachStream(opts: { onStderr?: (line: string) => void } = {}): Promise<ProcessStream> {
    try {
      const socket = (await dialModem(this.streaming.modem, {
        path: `/containers/${encodeURIComponent(this.id)}/attach?`,
        method: 'POST',
        // An empty detachKeys, not left out: Podman otherwise scans and copies every piece of
        // stdin for the detach sequence (an exec stream always does), which cost its API
        // service several times the CPU of the bytes themselves (bench/sandbox.ts). Docker
        // applies detach keys to terminals only.
        options: { stream: true, stdin: true, stdout: true, stderr: true, detachKeys: '' },
        // An empty body, sent as such: the engine leaves an attach request's body unread, so
        // any would reach the process as the first bytes of its stdin.
        file: Buffer.alloc(0),
        isStream: true,
        hijack: true,
        openStdin: true,
        statusCodes: { 101: true, 200: true, 404: 'no such container', 500: 'server error' },
      })) as Duplex;
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      demuxEngineStream(socket, stdout, stderr);
      void splitLines(stderr, (line) => opts.onStderr?.(line));
      const ended = new Promise<void>((resolve) => {
        const done = () => {
          stdout.end();
          stderr.end();
          resolve();
        };
        socket.once('end', done);
        socket.once('close', done);
        // A dropped engine connection can report more than one error; none may go unheard.
        socket.on('error', done);
      });
      return { stdin: socket, stdout, ended, close: () => socket.destroy() };
    } catch (error) {
      throw asEngineError(error, this.endpoint);
    }
  }

  async putArchive(path: string, tar: NodeJS.ReadableStream): Promise<void> {
    try {
      await this.streaming.putArchive(tar, { path });
    } catch (error) {
      throw asEngineError(error, this.endpoint);
    }
  }

  async getArchive(path: string): Promise<NodeJS.ReadableStream> {
    try {
      return await this.streaming.getArchive({ path });
    } catch (error) {
      throw asEngineError(error, this.endpoint);
    }
  }

  async addressOn(network: string): Promise<string | undefined> {
    const info = await this.container.inspect();
    const address = info.NetworkSettings.Networks[network]?.IPAddress;
    return address || undefined;
  }

  remove(): Promise<void> {
    return forceRemove(this.container, this.endpoint, this.timeoutMs);
  }
}

/** One stream (1 stdout, 2 stderr) of a multiplexed Docker log buffer, as text. */
function demuxToText(buffer: Buffer, streamType: 1 | 2): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const type = buffer[offset];
    const size = buffer.readUInt32BE(offset + 4);
    if (type === streamType) parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}
