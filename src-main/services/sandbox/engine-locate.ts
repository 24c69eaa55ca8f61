import { existsSync } from 'node:fs';
import { Agent } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { ContainerEngine } from './engine';
import { DockerEngine, ENGINE_CALL_TIMEOUT_MS, engineUnavailable, isRemoteEndpoint } from './engine-docker';
import { remoteEngineOptions } from './engine-remote';

/**
 * Finding a container engine: where engines usually listen on each OS, DOCKER_HOST and the
 * explicit setting, and the first one that answers a ping. Driving it is engine-docker.ts.
 */

export const DEFAULT_SOCKET = '/run/cospec/podman.sock';

export interface EngineLocation {
  endpoint: string;
  options: Docker.DockerOptions;
}

/** Where engines usually listen, in the order users expect them to be found. */
export function candidateLocations(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): EngineLocation[] {
  const home = homedir();
  const unix = (path: string): EngineLocation => ({ endpoint: `unix://${path}`, options: { socketPath: path } });
  if (platform === 'win32') {
    return ['//./pipe/docker_engine', '//./pipe/podman-machine-default'].map((p) => ({
      endpoint: `npipe:${p}`,
      options: { socketPath: p },
    }));
  }
  const paths = [
    DEFAULT_SOCKET,
    '/var/run/docker.sock',
    '/run/podman/podman.sock',
    env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'podman/podman.sock') : '',
    join(home, '.docker/run/docker.sock'),
    join(home, '.colima/default/docker.sock'),
    join(home, '.rd/docker.sock'),
    join(home, '.local/share/containers/podman/machine/podman.sock'),
    join(home, '.local/share/containers/podman/machine/podman-machine-default/podman.sock'),
  ].filter(Boolean);
  return paths.map(unix);
}

/**
 * DOCKER_HOST as a location: unix:// and npipe:// carry their socket; tcp:// and ssh:// are remote
 * and get their options (TLS files, the ssh connection) from engine-remote.ts when connecting.
 */
export function locationFromDockerHost(value: string): EngineLocation {
  if (value.startsWith('unix://')) return { endpoint: value, options: { socketPath: value.slice('unix://'.length) } };
  if (value.startsWith('npipe://')) return { endpoint: value, options: { socketPath: value.slice('npipe:'.length) } };
  return { endpoint: value, options: {} };
}

/** The locations to try: an explicit socket (argument or COSPEC_CONTAINER_SOCKET) alone, else DOCKER_HOST alone, else the usual paths. */
export function engineLocations(
  socketPath: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): EngineLocation[] {
  const explicit = socketPath ?? env.COSPEC_CONTAINER_SOCKET;
  if (explicit)
    return [
      explicit.includes('://')
        ? locationFromDockerHost(explicit)
        : { endpoint: `unix://${explicit}`, options: { socketPath: explicit } },
    ];
  if (env.DOCKER_HOST) return [locationFromDockerHost(env.DOCKER_HOST)];
  return candidateLocations(env);
}

/** Finds the first engine that answers a ping, or throws ENGINE_UNAVAILABLE naming where it looked. */
export async function connectEngine(
  socketPath?: string,
  env: NodeJS.ProcessEnv = process.env,
  /** How long a control call may stay silent (ENGINE_CALL_TIMEOUT_MS unless a test says otherwise). */
  callTimeoutMs = ENGINE_CALL_TIMEOUT_MS,
): Promise<ContainerEngine> {
  const locations = engineLocations(socketPath, env);
  const errors: string[] = [];
  for (const loc of locations) {
    if (isRemoteEndpoint(loc.endpoint)) return connectRemote(loc.endpoint, env, callTimeoutMs);
    if (loc.options.socketPath && !loc.options.socketPath.startsWith('//') && !existsSync(loc.options.socketPath)) {
      errors.push(`${loc.endpoint}: no such socket`);
      continue;
    }
    try {
      // A short timeout to find the engine, so a socket nobody serves is passed over quickly.
      await new Docker({ ...loc.options, timeout: 10_000 }).ping();
      // Builds stream nothing while a layer downloads or commits (40 s here for a CLI's native binary):
      // they get a client without an idle timeout; cancelling goes through their abort signal.
      // A new connection per call (docker-modem passes `agent` on; its types omit it): a local
      // socket costs nothing to open, and a kept-alive one can be closed by the engine just as the
      // next request goes out ("socket hang up").
      const callOptions = { ...loc.options, timeout: callTimeoutMs, agent: new Agent({ keepAlive: false }) };
      return new DockerEngine(new Docker(callOptions), loc.endpoint, new Docker(loc.options), undefined, callTimeoutMs);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push(
        `${loc.endpoint}: ${/EACCES/.test(message) ? 'permission denied (the socket is root-only?)' : message}`,
      );
    }
  }
  throw engineUnavailable(
    locations.map((l) => l.endpoint),
    errors.join('; '),
  );
}

/** A remote engine (ssh://, tcp://): its own errors already say what to fix, so they pass unchanged. */
async function connectRemote(value: string, env: NodeJS.ProcessEnv, callTimeoutMs: number): Promise<ContainerEngine> {
  const remote = await remoteEngineOptions(value, env);
  try {
    await new Docker({ ...remote.options, timeout: 30_000 }).ping();
  } catch (error) {
    await remote.close();
    if (error instanceof CospecError) throw error;
    throw new CospecError(
      'ENGINE_UNAVAILABLE',
      `The container engine at ${remote.endpoint} does not answer: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return new DockerEngine(
    new Docker({ ...remote.options, timeout: callTimeoutMs }),
    remote.endpoint,
    new Docker(remote.options),
    remote.close,
    callTimeoutMs,
  );
}
