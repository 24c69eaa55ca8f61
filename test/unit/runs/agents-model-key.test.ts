import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { PolicyGuard } from '../../../src-main/services/policy';
import { RunOrchestrator } from '../../../src-main/services/runs/orchestrator';
import { createRunPorts, type RunPortsDeps, type RunSandbox } from '../../../src-main/services/runs/ports';
import { RunStore } from '../../../src-main/services/runs/store';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { RunSpec } from '../../../src-shared/model/run';

/**
 * A model-backed agent without its key
 * is refused when the run is started: a clear message naming the key and where to add it, no run
 * record, no image build, no clone, no container. The real run ports and orchestrator; the GitLab
 * account, the cloner and the sandbox are recorders (nothing of theirs may be reached here).
 */

const spec = (agent: RunSpec['agent']): RunSpec => ({
  accountId: 'a1',
  projectPath: 'acme/web-app',
  task: 'Fix it',
  agent,
  allow: [],
});

function setup(keys: Record<string, string>) {
  const calls: string[] = [];
  const sandbox: RunSandbox = {
    ensureImage: async () => {
      calls.push('ensureImage');
      return 'img';
    },
    execute: async (_req, _gitlab, extras) => {
      const keys = await Promise.all((extras?.modelApis ?? []).map(async (m) => `${m.api}=${await m.getKey()}`));
      calls.push(`execute ${keys.join(',')}`);
      return { exitCode: 0, egress: [], gatewayRecord: undefined };
    },
    removeOrphans: async () => undefined,
  };
  const deps: RunPortsDeps = {
    accounts: {
      get: () =>
        ({ id: 'a1', instanceUrl: 'http://127.0.0.1:1', userId: 1 }) as unknown as ReturnType<
          RunPortsDeps['accounts']['get']
        >,
      apiGet: async () => {
        calls.push('gitlab');
        return {
          json: {
            id: 1,
            web_url: 'http://127.0.0.1:1/acme/web-app',
            http_url_to_repo: 'http://127.0.0.1:1/acme/web-app.git',
            default_branch: 'main',
          },
        } as Awaited<ReturnType<RunPortsDeps['accounts']['apiGet']>>;
      },
      credentialsFor: async () => ({ token: 't', username: 'u', authMethod: 'pat' }),
      networkFor: () => ({
        dispatcher: undefined as unknown as ReturnType<RunPortsDeps['accounts']['networkFor']>['dispatcher'],
      }),
    },
    git: {
      clone: async () => {
        calls.push('clone');
        return { head: '0'.repeat(40) };
      },
    },
    sandbox,
    policy: new PolicyGuard({ status: 'absent', path: '/nonexistent' }),
    userAllowlist: () => [],
    modelKey: async (secretKey) => keys[secretKey],
    limits: () => ({
      image: 'cospec-sandbox-base',
      memoryMb: 512,
      cpus: 1,
      pidsLimit: 64,
      timeoutMinutes: 5,
      imagePinned: false,
    }),
    mirrors: {
      available: async () => false,
      open: async () => Promise.reject(new Error('unused')),
      usage: async () => [],
      discard: async () => undefined,
    },
    logger: createLogger({ sinks: [memorySink()] }),
    pushRules: () => ({ prefix: 'cospec/', ciSkip: false }),
  };
  const logger = deps.logger;
  const dir = mkdtempSync(join(tmpdir(), 'cospec-runs-key-'));
  const orchestrator = new RunOrchestrator({
    store: new RunStore(dir, logger),
    ports: createRunPorts(deps),
    logger,
    onChange: () => undefined,
    onLog: () => undefined,
    defaultTimeoutMinutes: 5,
  });
  return { orchestrator, calls, dir };
}

describe('agents that need a model key', () => {
  it('refuses a claude-code run without a stored key before anything starts, saying what to add and where', async () => {
    const { orchestrator, calls, dir } = setup({});
    const error = await orchestrator.start(spec({ kind: 'adapter', name: 'claude-code' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CospecError);
    expect(error).toMatchObject({ code: 'INVALID_INPUT' });
    expect((error as Error).message).toBe(
      'Claude Code needs an Anthropic API key, and none is stored. Add it under Settings → Agents → Claude Code, then start the run again.',
    );
    expect(calls).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    expect(await orchestrator.list()).toEqual([]);
  });

  it('names the right key for codex', async () => {
    const { orchestrator } = setup({ 'agent:claude-code:key': 'sk-ant-x' });
    await expect(orchestrator.start(spec({ kind: 'adapter', name: 'codex' }))).rejects.toThrow(
      /^Codex CLI needs an OpenAI API key, and none is stored\./,
    );
  });

  it('hands the stored key to that run’s model gateway, not to its container environment', async () => {
    const { orchestrator, calls } = setup({ 'agent:claude-code:key': 'sk-ant-x' });
    const done = await orchestrator.whenDone(
      (await orchestrator.start(spec({ kind: 'adapter', name: 'claude-code' }))).id,
    );
    // (Output detection afterwards asks the recorder GitLab for more than it knows; not the point here.)
    expect(done.transitions.map((t) => t.state)).toContain('running');
    // The first GitLab call is the up-front check that the project is not archived, the second resolves it.
    expect(calls.slice(0, 5)).toEqual(['gitlab', 'gitlab', 'ensureImage', 'clone', 'execute anthropic=sk-ant-x']);
  });

  it('asks for no key when the agent needs none', async () => {
    const { orchestrator, calls } = setup({});
    const done = await orchestrator.whenDone(
      (await orchestrator.start(spec({ kind: 'command', command: 'make test' }))).id,
    );
    expect(done.transitions.map((t) => t.state)).toContain('running');
    expect(calls).toContain('execute ');
  });
});
