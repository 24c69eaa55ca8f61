import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { RunOrchestrator, type RunPorts } from '../../../src-main/services/runs/orchestrator';
import { RunStore } from '../../../src-main/services/runs/store';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { RunRecord, RunSpec } from '../../../src-shared/model/run';

const spec: RunSpec = {
  accountId: 'a1',
  projectPath: 'acme/web-app',
  task: 'Fix the typo',
  agent: { kind: 'adapter', name: 'sample' },
  allow: [],
};

// In-process stand-ins for the real parts; these tests are about sequencing, persistence and
// cancellation. The real parts are exercised end to end in test/integration/runs.
function ports(overrides: Partial<RunPorts> = {}): RunPorts {
  return {
    resolveProject: async () => ({
      instanceUrl: 'http://127.0.0.1:1',
      projectId: 1,
      webUrl: 'http://127.0.0.1:1/acme/web-app',
      httpUrlToRepo: 'x',
      defaultBranch: 'main',
    }),
    assertRunAllowed: () => undefined,
    allowlistFor: () => ['127.0.0.1:1'],
    ensureImage: async () => 'cospec/sandbox:test',
    clone: async () => undefined,
    execute: async (req) => {
      req.onLog('hello from the agent');
      return { exitCode: 0, egress: [], gatewayRecord: undefined };
    },
    collectOutputs: async () => [{ kind: 'issue', iid: 1, title: 't', state: 'opened', webUrl: 'http://x/1' }],
    removeOrphans: async () => undefined,
    ...overrides,
  };
}

function setup(p: RunPorts, dir = mkdtempSync(join(tmpdir(), 'cospec-runs-'))) {
  const logger = createLogger({ sinks: [memorySink()] });
  const changes: RunRecord[] = [];
  const logs: string[] = [];
  const orchestrator = new RunOrchestrator({
    store: new RunStore(dir, logger),
    ports: p,
    logger,
    onChange: (r) => changes.push(structuredClone(r)),
    onLog: (_id, lines) => logs.push(...lines),
    defaultTimeoutMinutes: 5,
  });
  return { orchestrator, changes, logs, dir };
}

describe('run orchestration', () => {
  it('walks every state in order, persisting each transition and the agent log', async () => {
    const { orchestrator, logs, dir } = setup(ports());
    const { id } = await orchestrator.start(spec);
    const done = await orchestrator.whenDone(id);
    expect(done.transitions.map((t) => t.state)).toEqual([
      'queued',
      'preparing',
      'cloning',
      'running',
      'collecting',
      'succeeded',
    ]);
    expect(done.outputs).toHaveLength(1);
    expect(done.detail).toBe('1 issue');
    expect(logs).toEqual(['hello from the agent']);
    expect(readFileSync(join(dir, id, 'agent.log'), 'utf8')).toBe('hello from the agent\n');
    expect(JSON.parse(readFileSync(join(dir, id, 'run.json'), 'utf8')).state).toBe('succeeded');
  });

  it("shows a wait for GitLab's rate limit on the run while it lasts, then goes on", async () => {
    const base = ports();
    const { orchestrator, changes } = setup(
      ports({
        resolveProject: async (s, onRateLimit) => {
          onRateLimit?.({ host: 'gitlab.example.org', waitMs: 42_000, until: new Date().toISOString() });
          return base.resolveProject(s);
        },
        collectOutputs: async (req) => {
          req.onRateLimit?.({ host: 'gitlab.example.org', waitMs: 5_500, until: new Date().toISOString() });
          return base.collectOutputs(req);
        },
      }),
    );
    const done = await orchestrator.whenDone((await orchestrator.start(spec)).id);
    expect(done.state).toBe('succeeded');
    const details = changes.map((c) => `${c.state}: ${c.detail ?? ''}`);
    expect(details).toContain('preparing: Waiting for GitLab’s rate limit (42 s)…');
    expect(details).toContain('collecting: Waiting for GitLab’s rate limit (6 s)…');
  });

  it('fails with the agent exit code and keeps its outputs', async () => {
    const { orchestrator } = setup(
      ports({ execute: async () => ({ exitCode: 3, egress: [], gatewayRecord: undefined }) }),
    );
    const done = await orchestrator.whenDone((await orchestrator.start(spec)).id);
    expect(done.state).toBe('failed');
    expect(done.error).toEqual({ code: 'RUN_FAILED', message: 'The agent exited with code 3.' });
    expect(done.outputs).toHaveLength(1);
  });

  it('reports a failing stage with its error code', async () => {
    const { orchestrator } = setup(
      ports({
        clone: async () => {
          throw new CospecError('NOT_FOUND', 'The repository is gone.');
        },
      }),
    );
    const done = await orchestrator.whenDone((await orchestrator.start(spec)).id);
    expect(done).toMatchObject({ state: 'failed', error: { code: 'NOT_FOUND', message: 'The repository is gone.' } });
  });

  it('cancels a running agent and ends in cancelled', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const { orchestrator } = setup(
      ports({
        execute: (req) =>
          new Promise((_resolve, reject) => {
            started();
            req.signal.addEventListener('abort', () => reject(req.signal.reason));
          }),
      }),
    );
    const { id } = await orchestrator.start(spec);
    await running;
    const cancelled = await orchestrator.cancel(id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.error?.code).toBe('CANCELLED');
  });

  it('refuses an agent the policy forbids before anything starts', async () => {
    const { orchestrator, dir } = setup(
      ports({
        assertRunAllowed: () => {
          throw new CospecError('POLICY_FORBIDS', 'no');
        },
      }),
    );
    await expect(orchestrator.start(spec)).rejects.toMatchObject({ code: 'POLICY_FORBIDS' });
    expect(await new RunStore(dir, createLogger({ sinks: [] })).list()).toEqual([]);
  });

  it('marks runs that were live when the app died as interrupted and removes their containers', async () => {
    const never = new Promise<never>(() => undefined);
    const first = setup(ports({ execute: () => never }));
    const { id } = await first.orchestrator.start(spec);
    await new Promise((r) => setTimeout(r, 50));
    // A new app instance over the same data directory, as after a crash.
    const removed: string[][] = [];
    const second = setup(ports({ removeOrphans: async (ids) => void removed.push(ids) }), first.dir);
    const recovered = await second.orchestrator.recover();
    expect(recovered.map((r) => r.id)).toEqual([id]);
    expect((await second.orchestrator.get(id)).state).toBe('interrupted');
    expect(removed).toEqual([[id]]);
  });

  it('runs at most two at once and queues the rest', async () => {
    let concurrent = 0;
    let peak = 0;
    const { orchestrator } = setup(
      ports({
        execute: async () => {
          concurrent += 1;
          peak = Math.max(peak, concurrent);
          await new Promise((r) => setTimeout(r, 30));
          concurrent -= 1;
          return { exitCode: 0, egress: [], gatewayRecord: undefined };
        },
      }),
    );
    const ids = await Promise.all([1, 2, 3, 4].map(() => orchestrator.start(spec).then((r) => r.id)));
    const done = await Promise.all(ids.map((id) => orchestrator.whenDone(id)));
    expect(done.every((r) => r.state === 'succeeded')).toBe(true);
    expect(peak).toBe(2);
  });

  it('sets the sandbox up while the clone runs and starts the agent only once the clone is done', async () => {
    const steps: string[] = [];
    let finishClone!: () => void;
    const { orchestrator, changes } = setup(
      ports({
        clone: async () => {
          steps.push('clone started');
          await new Promise<void>((r) => (finishClone = r));
          steps.push('clone done');
          return { head: 'a'.repeat(40) };
        },
        execute: async (req) => {
          steps.push('sandbox set-up');
          finishClone();
          await req.workspaceReady;
          steps.push('agent started');
          return { exitCode: 0, egress: [], gatewayRecord: undefined };
        },
      }),
    );
    const done = await orchestrator.whenDone((await orchestrator.start(spec)).id);
    expect(done.state).toBe('succeeded');
    expect(steps).toEqual(['clone started', 'sandbox set-up', 'clone done', 'agent started']);
    // The base commit is recorded before the run counts as running.
    const running = changes.find((c) => c.state === 'running');
    expect(running?.baseSha).toBe('a'.repeat(40));
  });

  it('fails with the clone’s error when the clone fails while the sandbox is being set up', async () => {
    let executed = false;
    const { orchestrator } = setup(
      ports({
        clone: async () => {
          throw new CospecError('NOT_FOUND', 'The branch is gone.');
        },
        execute: async (req) => {
          await req.workspaceReady;
          executed = true;
          return { exitCode: 0, egress: [], gatewayRecord: undefined };
        },
      }),
    );
    const done = await orchestrator.whenDone((await orchestrator.start(spec)).id);
    expect(done).toMatchObject({ state: 'failed', error: { code: 'NOT_FOUND', message: 'The branch is gone.' } });
    expect(executed).toBe(false);
    expect(done.transitions.map((t) => t.state)).not.toContain('running');
  });

  it('leaves no unhandled rejection when the clone fails long before the sandbox looks at it', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { orchestrator } = setup(
        ports({
          clone: async () => {
            throw new CospecError('CLONE_FAILED', 'The repository is gone.');
          },
          execute: async (req) => {
            // The sandbox's own set-up (gateways, egress route) takes a while before it waits.
            await new Promise((resolve) => setTimeout(resolve, 50));
            await req.workspaceReady;
            return { exitCode: 0, egress: [], gatewayRecord: undefined };
          },
        }),
      );
      const done = await orchestrator.whenDone((await orchestrator.start(spec)).id);
      expect(done).toMatchObject({ state: 'failed', error: { code: 'CLONE_FAILED' } });
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('stops the clone and fails with the sandbox’s error when the sandbox fails first', async () => {
    let cloneStopped = false;
    const { orchestrator } = setup(
      ports({
        clone: ({ signal }) =>
          new Promise((_resolve, reject) =>
            signal.addEventListener('abort', () => {
              cloneStopped = true;
              reject(new CospecError('CANCELLED', 'stopped'));
            }),
          ),
        execute: async () => {
          throw new CospecError('ENGINE_UNAVAILABLE', 'No container engine answered.');
        },
      }),
    );
    const done = await orchestrator.whenDone((await orchestrator.start(spec)).id);
    expect(done).toMatchObject({ state: 'failed', error: { code: 'ENGINE_UNAVAILABLE' } });
    expect(cloneStopped).toBe(true);
  });
});
