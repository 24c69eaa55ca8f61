import { describe, expect, it } from 'vitest';
import type { ContainerEngine, EngineInfo } from '../../../src-main/services/sandbox/engine';
import { isRemoteEndpoint } from '../../../src-main/services/sandbox/engine-docker';
import { chooseEgressShape } from '../../../src-main/services/sandbox/egress-route';

/** Which way a run's container reaches its proxy, per engine (egress-route.ts). */

function engineAt(endpoint: string, info: Partial<EngineInfo> = {}): ContainerEngine {
  const full: EngineInfo = {
    engine: 'Podman',
    operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
    defaultNetwork: 'podman',
    ...info,
  };
  // Only what the choice reads; anything else would be a mistake in the code under test.
  return { endpoint, remote: isRemoteEndpoint(endpoint), info: async () => full } as unknown as ContainerEngine;
}

describe('choosing the egress shape', () => {
  it('uses the mounted socket with an engine on this Linux kernel', async () => {
    expect(await chooseEgressShape(engineAt('unix:///run/podman/podman.sock'), 'auto', 'linux')).toBe('socket');
    expect(
      await chooseEgressShape(
        engineAt('unix:///var/run/docker.sock', {
          engine: 'Docker',
          operatingSystem: 'Ubuntu 24.04',
          defaultNetwork: 'bridge',
        }),
        'auto',
        'linux',
      ),
    ).toBe('socket');
  });

  it('uses the relay network where the engine runs in a VM', async () => {
    expect(
      await chooseEgressShape(
        engineAt('unix:///Users/me/.docker/run/docker.sock', { engine: 'Docker', operatingSystem: 'Docker Desktop' }),
        'auto',
        'darwin',
      ),
    ).toBe('network');
    expect(
      await chooseEgressShape(
        engineAt('unix:///Users/me/.local/share/containers/podman/machine/podman.sock'),
        'auto',
        'darwin',
      ),
    ).toBe('network');
    expect(
      await chooseEgressShape(
        engineAt('npipe:////./pipe/docker_engine', { engine: 'Docker', operatingSystem: 'Docker Desktop' }),
        'auto',
        'win32',
      ),
    ).toBe('network');
    expect(
      await chooseEgressShape(
        engineAt('unix:///home/me/.docker/desktop/docker.sock', {
          engine: 'Docker',
          operatingSystem: 'Docker Desktop',
        }),
        'auto',
        'linux',
      ),
    ).toBe('network');
  });

  it('honours an explicit choice', async () => {
    expect(await chooseEgressShape(engineAt('unix:///run/podman/podman.sock'), 'network', 'linux')).toBe('network');
  });

  it('tunnels through the engine API to a remote engine, whatever else was asked for', async () => {
    for (const endpoint of [
      'ssh://me@build-host',
      'ssh://me@build-host/run/podman/podman.sock',
      'tcp://build-host:2376',
    ]) {
      for (const requested of ['auto', 'socket', 'network'] as const)
        expect(await chooseEgressShape(engineAt(endpoint), requested, 'linux')).toBe('tunnel');
    }
  });

  it('tells local endpoints from remote ones', () => {
    expect(isRemoteEndpoint('unix:///run/podman/podman.sock')).toBe(false);
    expect(isRemoteEndpoint('npipe:////./pipe/docker_engine')).toBe(false);
    expect(isRemoteEndpoint('tcp://127.0.0.1:2375')).toBe(true);
    expect(isRemoteEndpoint('ssh://me@build-host')).toBe(true);
  });
});
