import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { emptyRecord, type GatewayRecord } from '../../../src-main/services/gateway/record';
import { RunOrchestrator, type RunExecuteRequest, type RunPorts } from '../../../src-main/services/runs/orchestrator';
import { RunStore } from '../../../src-main/services/runs/store';
import type { RunSpec } from '../../../src-shared/model/run';

/**
 * The runs service's side of follow-up runs and gateway refusals, with the real orchestrator and
 * store: what a follow-up may fast-forward comes from the earlier runs' gateway logs, and what the
 * gateway refused ends up grouped in the run record.
 */

const spec: RunSpec = {
  accountId: 'a1',
  projectPath: 'acme/web-app',
  task: 'Fix the typo',
  agent: { kind: 'adapter', name: 'sample' },
  allow: [],
};
const Z = '0'.repeat(40);

function gatewayLogLine(event: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ level: 'info', message: event, ...fields }) + '\n';
}

function setup(record: (req: RunExecuteRequest) => Partial<GatewayRecord> = () => ({})) {
  const dir = mkdtempSync(join(tmpdir(), 'cospec-follow-'));
  const logger = createLogger({ sinks: [memorySink()] });
  const store = new RunStore(dir, logger);
  const seen: RunExecuteRequest[] = [];
  const ports: RunPorts = {
    resolveProject: async () => ({
      instanceUrl: 'http://127.0.0.1:1',
      projectId: 1,
      webUrl: 'http://127.0.0.1:1/acme/web-app',
      httpUrlToRepo: 'x',
      defaultBranch: 'main',
    }),
    assertRunAllowed: () => undefined,
    allowlistFor: () => [],
    ensureImage: async () => 'img',
    clone: async () => undefined,
    execute: async (req) => {
      seen.push(req);
      const gatewayRecord = { ...emptyRecord(req.runId, 'http://127.0.0.1:1', ['acme/web-app']), ...record(req) };
      // What the gateway would have written: its log is what a later follow-up reads.
      writeFileSync(req.paths.gatewayLog, gatewayRecord.pushes.map((p) => gatewayLogLine('gateway.push', p)).join(''));
      return { exitCode: 0, egress: [], gatewayRecord };
    },
    collectOutputs: async () => [],
    removeOrphans: async () => undefined,
  };
  const orchestrator = new RunOrchestrator({
    store,
    ports,
    logger,
    onChange: () => undefined,
    onLog: () => undefined,
    defaultTimeoutMinutes: 5,
  });
  return { orchestrator, seen };
}

const push = (branch: string, change: 'created' | 'updated' | 'deleted', result: 'ok' | 'rejected' = 'ok') => ({
  at: new Date().toISOString(),
  projectPath: 'acme/web-app',
  ref: `refs/heads/${branch}`,
  branch,
  oldSha: change === 'created' ? Z : 'a'.repeat(40),
  newSha: change === 'deleted' ? Z : 'b'.repeat(40),
  change,
  result,
});

describe('follow-up runs', () => {
  it('let the agent fast-forward the branches the continued runs created, down the chain', async () => {
    const pushesOf: Record<number, ReturnType<typeof push>[]> = {
      0: [push('cospec/first', 'created'), push('cospec/gone', 'created'), push('cospec/gone', 'deleted')],
      1: [
        push('cospec/second', 'created'),
        push('cospec/refused', 'created', 'rejected'),
        push('cospec/first', 'updated'),
      ],
      2: [],
    };
    let n = 0;
    const { orchestrator, seen } = setup(() => ({ pushes: pushesOf[n++] ?? [] }));
    const first = await orchestrator.whenDone((await orchestrator.start(spec)).id);
    expect(seen[0]!.inheritedBranches).toEqual([]);
    const second = await orchestrator.whenDone((await orchestrator.start({ ...spec, continues: first.id })).id);
    expect(second.state).toBe('succeeded');
    expect(seen[1]!.inheritedBranches).toEqual(['cospec/first']);
    await orchestrator.whenDone((await orchestrator.start({ ...spec, continues: second.id })).id);
    expect([...seen[2]!.inheritedBranches!].sort()).toEqual(['cospec/first', 'cospec/second']);
  });

  it('refuses to continue an unknown run, or one of another project or account, before a run exists', async () => {
    const { orchestrator } = setup();
    const first = await orchestrator.whenDone((await orchestrator.start(spec)).id);
    await expect(orchestrator.start({ ...spec, continues: 'no-such-run' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(orchestrator.start({ ...spec, continues: '../../etc' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(orchestrator.start({ ...spec, projectPath: 'acme/other', continues: first.id })).rejects.toThrow(
      /same account and project/,
    );
    await expect(orchestrator.start({ ...spec, accountId: 'a2', continues: first.id })).rejects.toThrow(
      /same account and project/,
    );
    expect(await orchestrator.list()).toHaveLength(1);
  });
});

describe('gateway refusals in the run record', () => {
  it('are grouped by kind, target and reason with a count, whatever their kind', async () => {
    const at = new Date().toISOString();
    const { orchestrator } = setup(() => ({
      refusals: [
        { at, kind: 'push', target: 'refs/heads/main', reason: 'main is the default branch' },
        { at, kind: 'push', target: 'refs/heads/main', reason: 'main is the default branch' },
        { at, kind: 'push_option', target: 'ci.variable', reason: 'not allowed' },
        { at, kind: 'quick_action', target: '/merge', reason: 'quick actions are not run' },
      ],
    }));
    const run = await orchestrator.whenDone((await orchestrator.start(spec)).id);
    expect(run.refusals).toEqual([
      { kind: 'push', target: 'refs/heads/main', reason: 'main is the default branch', count: 2 },
      { kind: 'push_option', target: 'ci.variable', reason: 'not allowed', count: 1 },
      { kind: 'quick_action', target: '/merge', reason: 'quick actions are not run', count: 1 },
    ]);
  });
});
