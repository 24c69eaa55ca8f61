import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { Logger } from '../../platform/logger';
import type { BindMount, ContainerEngine, ContainerHandle, EngineInfo } from './engine';
import { startEgressProxy, type EgressProxy, type EgressProxyOptions } from './egress-proxy';
import { serveEgressTunnel } from './egress-tunnel';
import { perlProgram, startListenerHandoff, type ListenerHandoff } from './listener-handoff';

/**
 * How a run's container reaches its egress proxy, the only way out. Two shapes, both with
 * the proxy in the app, outside the container, deciding every connection:
 *
 * - "socket": the container has no network at all; the proxy listens
 *   on a unix socket in the run's folder, mounted in, and a relay inside the container forwards
 *   127.0.0.1:3128 to it. Needs the engine on this machine's kernel (Linux), where a mounted
 *   socket connects.
 * - "network" (the portable shape of design A): the container joins only a per-run internal
 *   network with no gateway and no DNS server; a small relay container, alone on that network and
 *   the engine's default one, forwards port 3128 to the proxy listening on the host. No host
 *   firewall rule is involved, so it holds where the engine runs in a VM (Docker Desktop, Podman
 *   machine, Colima, Rancher Desktop) and host nftables cannot reach. The proxy then listens on
 *   TCP, where other containers and host processes could reach it too, so it demands per-run
 *   credentials that only this run's container is given.
 * - "tunnel" (for an engine on another machine, which can reach nothing on this one): like
 *   "network", but the relay container joins only the run's internal network, and the connections
 *   it accepts travel as frames over its stdio, which the app holds attached through the engine API
 *   (egress-tunnel.ts, resources/sandbox/tunnel.pl) to the proxy on a socket in the run's folder.
 *   No container of the run has any route out at all.
 *
 * Where the engine shares this machine's kernel (the socket shape, and the network shape outside
 * a VM), the relay first offers its listening socket to the app (listener-handoff.ts): taken, the
 * proxy accepts the agent's connections in the sandbox's own network namespace and the relay
 * steps aside; otherwise it relays as described.
 */

export type EgressShape = 'socket' | 'network' | 'tunnel';
export const EGRESS_SHAPES: readonly EgressShape[] = ['socket', 'network', 'tunnel'];

export function isEgressShape(value: string | undefined): value is EgressShape {
  return (EGRESS_SHAPES as readonly (string | undefined)[]).includes(value);
}

export interface EgressRoute {
  readonly shape: EgressShape;
  readonly proxy: EgressProxy;
  /** Environment for the agent container: the proxy variables and what the entrypoint needs. */
  readonly env: Record<string, string>;
  /** Networks the agent container joins (none for the socket shape). */
  readonly networks: string[];
  /** Stops the proxy and removes the relay and the network; after the agent's container is gone. */
  close(): Promise<void>;
}

export interface EgressRouteOptions {
  engine: ContainerEngine;
  runId: string;
  /** The run's private folder on the host (mounted into the agent container). */
  runDir: string;
  /** The image the relay container runs (the run's: Debian with socat and perl-base). */
  image: string;
  /** The app's resources folder (sandbox/relay.pl, sandbox/tunnel.pl). */
  resourcesDir: string;
  /** Labels every container and network of the run carries, for orphan clean-up. */
  labels: Record<string, string>;
  proxy: Omit<EgressProxyOptions, 'socketPath' | 'host' | 'credentials'>;
  /** Offer the relay's listener to the proxy where the engine shares this kernel (default true). */
  handOff?: boolean;
  logger: Logger;
}

export const RELAY_PORT = 3128;
const RELAY_USER = '65534:65534';
/** Where the relay container of the network shape finds the hand-off socket (a folder of its own). */
const RELAY_HANDOFF_DIR = '/cospec/handoff';

/**
 * The shape to use with this engine: the tunnel for a remote engine (nothing else can reach the
 * proxy from there), else an explicit choice, else the socket where it can work.
 */
export async function chooseEgressShape(
  engine: ContainerEngine,
  requested: EgressShape | 'auto' = 'auto',
  platform: NodeJS.Platform = process.platform,
): Promise<EgressShape> {
  if (engine.remote) return 'tunnel';
  if (requested !== 'auto') return requested;
  if (platform !== 'linux') return 'network';
  return onThisKernel(await engine.info(), platform) ? 'socket' : 'network';
}

export async function openEgressRoute(shape: EgressShape, opts: EgressRouteOptions): Promise<EgressRoute> {
  if (shape === 'socket') return openSocketRoute(opts);
  return shape === 'network' ? openNetworkRoute(opts) : openTunnelRoute(opts);
}

/** Where the proxy listens for the socket and tunnel shapes: only this app can connect there. */
function proxySocketPath(runDir: string, runId: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? `\\\\.\\pipe\\cospec-egress-${runId}` : join(runDir, 'proxy.sock');
}

async function openSocketRoute(opts: EgressRouteOptions): Promise<EgressRoute> {
  // The relay runs inside the agent's container (the entrypoint starts it from the mounted run folder).
  await writeFile(join(opts.runDir, 'relay.pl'), await perlProgram(opts.resourcesDir, 'relay.pl'), { mode: 0o644 });
  const proxy = await startEgressProxy({ ...opts.proxy, socketPath: proxySocketPath(opts.runDir, opts.runId) });
  const handoff = await offerListener(opts, proxy, join(opts.runDir, 'handoff.sock'), '127.0.0.1').catch(
    async (error: unknown) => {
      await proxy.close();
      throw error;
    },
  );
  const url = `http://127.0.0.1:${RELAY_PORT}`;
  return {
    shape: 'socket',
    proxy,
    env: {
      ...proxyEnv(url),
      COSPEC_EGRESS: 'socket',
      COSPEC_PROXY_ADDR: `127.0.0.1:${RELAY_PORT}`,
      // The entrypoint has its relay offer the listener only while the app waits for it.
      ...(handoff ? { COSPEC_EGRESS_HANDOFF: '1' } : {}),
    },
    networks: [],
    close: async () => {
      handoff?.close();
      await proxy.close();
    },
  };
}

/**
 * Starts waiting for the relay's listener at `socketPath`, to be adopted by the proxy when it
 * comes; undefined when the hand-off cannot run here (the relay then relays).
 */
async function offerListener(
  opts: EgressRouteOptions,
  proxy: EgressProxy,
  socketPath: string,
  host: string,
): Promise<ListenerHandoff | undefined> {
  if (opts.handOff === false) return undefined;
  const { logger } = opts;
  const handoff = await startListenerHandoff({
    resourcesDir: opts.resourcesDir,
    socketPath,
    host,
    port: RELAY_PORT,
    onRefused: (reason) => logger.warn('sandbox: egress listener not handed off', { reason }),
    onUnavailable: (reason) => logger.debug('sandbox: egress listener hand-off unavailable', { reason }),
  });
  void handoff?.listener.then((listener) => {
    if (!listener) return;
    proxy.adopt(listener);
    logger.debug('sandbox: egress listener handed off', { address: `${host}:${RELAY_PORT}` });
  });
  return handoff;
}

async function openNetworkRoute(opts: EgressRouteOptions): Promise<EgressRoute> {
  const { engine, runId, logger } = opts;
  const info = await engine.info();
  const network = `cospec-run-${runId}`;
  let relay: ContainerHandle | undefined;
  let proxy: EgressProxy | undefined;
  let handoff: ListenerHandoff | undefined;
  const close = async () => {
    handoff?.close();
    await proxy?.close().catch(() => undefined);
    await removeRelay(opts, network, relay);
  };
  try {
    // On this kernel the relay can hand its listener over a socket in a folder mounted for that alone.
    const handoffDir = onThisKernel(info) && opts.handOff !== false ? join(opts.runDir, 'handoff') : undefined;
    if (handoffDir) await mkdir(handoffDir, { recursive: true, mode: 0o755 });
    const binds = handoffDir ? [{ host: handoffDir, container: RELAY_HANDOFF_DIR, readOnly: true }] : [];
    // Idle until the proxy's address is known (it can only listen once this container's start has
    // brought the engine's bridge up); then the relay is started in it.
    relay = await createRelayContainer(opts, network, [info.defaultNetwork], binds);
    await relay.start();
    const { listenHost, dialHost } = await hostSide(engine, info);
    const credentials = { username: 'cospec', password: randomBytes(24).toString('hex') };
    proxy = await startEgressProxy({ ...opts.proxy, host: listenHost, credentials });
    const port = new URL(proxy.address).port;
    if (handoffDir) handoff = await offerListener(opts, proxy, join(handoffDir, 'handoff.sock'), '0.0.0.0');
    const offer = handoff ? ['--hand-off', `unix:${RELAY_HANDOFF_DIR}/handoff.sock`] : [];
    // The script travels as an argument: the relay's root stays read-only.
    const script = await perlProgram(opts.resourcesDir, 'relay.pl');
    await relay.execDetached(
      ['perl', '-e', script, '--', ...offer, '0.0.0.0', String(RELAY_PORT), `tcp:${dialHost}:${port}`],
      { user: RELAY_USER },
    );
    const relayAddress = await relay.addressOn(network);
    if (!relayAddress)
      throw new CospecError('RUN_FAILED', `The egress relay got no address on the run's network ${network}.`);
    const url = `http://${credentials.username}:${credentials.password}@${relayAddress}:${RELAY_PORT}`;
    logger.debug('sandbox: egress relay ready', { relay: relayAddress, proxy: `${listenHost}:${port}` });
    return {
      shape: 'network',
      proxy,
      env: {
        ...proxyEnv(url),
        // git's default (anyauth) asks without credentials first: one refused round trip per request.
        GIT_HTTP_PROXY_AUTHMETHOD: 'basic',
        COSPEC_EGRESS: 'network',
        COSPEC_PROXY_ADDR: `${relayAddress}:${RELAY_PORT}`,
      },
      networks: [network],
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

async function openTunnelRoute(opts: EgressRouteOptions): Promise<EgressRoute> {
  const { runId, logger } = opts;
  const network = `cospec-run-${runId}`;
  let relay: ContainerHandle | undefined;
  let proxy: EgressProxy | undefined;
  let tunnel: ReturnType<typeof serveEgressTunnel> | undefined;
  const close = async () => {
    tunnel?.close();
    await proxy?.close().catch(() => undefined);
    await removeRelay(opts, network, relay);
  };
  try {
    const socketPath = proxySocketPath(opts.runDir, runId);
    proxy = await startEgressProxy({ ...opts.proxy, socketPath });
    const script = await readFile(join(opts.resourcesDir, 'sandbox/tunnel.pl'), 'utf8');
    // On the run's network alone: it reaches nothing, the app reads and writes its connections. The
    // tunnel is the container's main process, attached before it starts: an exec stream's stdin
    // costs Podman's API service several times more CPU (ContainerHandle.attachStream).
    relay = await createRelayContainer(opts, network, [], [], ['perl', '-e', script, '0.0.0.0', String(RELAY_PORT)]);
    const stream = await relay.attachStream({
      onStderr: (line) => logger.warn('sandbox: egress tunnel relay', { line }),
    });
    await relay.start();
    tunnel = serveEgressTunnel(stream, socketPath, (error) => logger.warn('sandbox: egress tunnel failed', { error }));
    const relayAddress = await relay.addressOn(network);
    if (!relayAddress)
      throw new CospecError('RUN_FAILED', `The egress relay got no address on the run's network ${network}.`);
    logger.debug('sandbox: egress tunnel ready', { relay: relayAddress });
    return {
      shape: 'tunnel',
      proxy,
      env: {
        ...proxyEnv(`http://${relayAddress}:${RELAY_PORT}`),
        COSPEC_EGRESS: 'tunnel',
        COSPEC_PROXY_ADDR: `${relayAddress}:${RELAY_PORT}`,
      },
      networks: [network],
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Creates the run's internal network and its relay container on it (and on `alsoOn`), not yet
 * started: the caller holds it before the start, so a failed start still gets it removed. Without
 * `main` it idles (`sleep`) until a relay process is started in it; with it, `main` is its main
 * process, with stdio to attach before the start.
 */
async function createRelayContainer(
  opts: EgressRouteOptions,
  network: string,
  alsoOn: string[],
  binds: BindMount[],
  main?: string[],
): Promise<ContainerHandle> {
  // A network left by an earlier attempt of this run was removed with its containers (removeRunContainers).
  await opts.engine.createInternalNetwork(network, opts.labels);
  return opts.engine.createContainer({
    name: `cospec-relay-${opts.runId}`,
    image: opts.image,
    cmd: main ?? ['sleep', 'infinity'],
    env: {},
    user: RELAY_USER,
    workingDir: '/',
    labels: { ...opts.labels, 'cospec.role': 'egress-relay' },
    binds,
    tmpfs: {},
    memoryBytes: 64 * 1024 * 1024,
    nanoCpus: 1_000_000_000,
    // One relay process and its exec: a fork bomb has nowhere to go.
    pidsLimit: 64,
    networks: [network, ...alsoOn],
    attached: main !== undefined,
  });
}

/** Removes the relay container and the run's network; failures are logged, the run's result stands. */
async function removeRelay(
  opts: EgressRouteOptions,
  network: string,
  relay: ContainerHandle | undefined,
): Promise<void> {
  await relay?.remove().catch((error: unknown) => opts.logger.warn('sandbox: relay removal failed', { error }));
  await opts.engine
    .removeNetwork(network)
    .catch((error: unknown) => opts.logger.warn('sandbox: network removal failed', { error }));
}

/**
 * Where the proxy listens and what the relay dials. An engine on this kernel reaches the host at
 * its default network's gateway, so the proxy listens on that address alone (not on every
 * interface); an engine in a VM forwards host.docker.internal / host.containers.internal to this
 * machine's loopback, so the proxy stays on 127.0.0.1.
 */
async function hostSide(
  engine: ContainerEngine,
  info: EngineInfo,
  platform: NodeJS.Platform = process.platform,
): Promise<{ listenHost: string; dialHost: string }> {
  if (onThisKernel(info, platform)) {
    const gateway = await engine.networkGateway(info.defaultNetwork);
    if (!gateway)
      throw new CospecError(
        'RUN_FAILED',
        `The container network ${info.defaultNetwork} has no gateway address, so the egress relay cannot reach the proxy.`,
      );
    return { listenHost: gateway, dialHost: gateway };
  }
  return {
    listenHost: '127.0.0.1',
    dialHost: info.engine === 'Podman' ? 'host.containers.internal' : 'host.docker.internal',
  };
}

/**
 * Whether the engine runs on this machine's kernel, where mounted sockets connect: on Linux,
 * unless it is Docker Desktop, which runs its engine in a VM there too.
 */
function onThisKernel(info: EngineInfo, platform: NodeJS.Platform = process.platform): boolean {
  return platform === 'linux' && !/docker desktop/i.test(info.operatingSystem);
}

function proxyEnv(url: string): Record<string, string> {
  return { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url };
}

/** Removes the per-run networks of these runs (orphans of a crashed app). */
export async function removeRunNetworks(
  engine: ContainerEngine,
  label: string,
  runIds: readonly string[],
): Promise<void> {
  const wanted = new Set(runIds);
  for (const n of await engine.listNetworks(label))
    if (wanted.has(n.labels[label] ?? '')) await engine.removeNetwork(n.name);
}
