import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src-main/platform/events';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { pathsFor } from '../../../src-main/platform/paths';
import { createServices } from '../../../src-main/services';
import type { RunRecord } from '../../../src-shared/model/run';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { sandboxSkipReason } from '../sandbox/harness';

/**
 * A run from start to outputs with every real part: the GitLab stand-in, the accounts service with
 * a PAT in the keyring, the isomorphic-git clone, the Podman sandbox with its egress proxy and
 * credential gateway, and output detection against the API.
 */
const skip = await sandboxSkipReason();
if (skip) console.warn(`[runs] skipping end-to-end run tests: ${skip}`);

let gitlab: StandIn;
let dataDir: string;
let services: Awaited<ReturnType<typeof createServices>>;
let accountId: string;
const sink = memorySink();
const logLines: string[] = [];

async function newServices(dir: string, extra: Partial<Parameters<typeof createServices>[0]> = {}) {
  const events = createEventBus();
  events.on('runs.didLog', ({ lines }) => logLines.push(...lines));
  return createServices({
    host: 'harness',
    appVersion: '0.0.0-test',
    paths: pathsFor(dir),
    logger: createLogger({ level: 'debug', sinks: [sink] }),
    events,
    openExternal: async () => undefined,
    protocolRegistered: false,
    policyPath: join(dir, 'no-policy.json'),
    ...extra,
  });
}

describe.skipIf(skip)('a sandboxed agent run against the GitLab stand-in', () => {
  beforeAll(async () => {
    gitlab = await startGitLabStandIn();
    dataDir = mkdtempSync(join(tmpdir(), 'cospec-run-e2e-'));
    services = await newServices(dataDir);
    const bot = gitlab.user('cospec-bot');
    const { account } = await services.handlers.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: bot.token,
      allowHttp: true,
    });
    accountId = account.id;
  }, 120_000);

  afterAll(async () => {
    await services?.dispose();
    await gitlab?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  let finished: RunRecord;

  it('clones the default branch, runs the sample agent and detects its branch, merge request and issue', async () => {
    const started = await services.handlers.runs.start({
      accountId,
      projectPath: 'acme/api-service',
      task: 'Document how to run the service locally',
      agent: { kind: 'adapter', name: 'sample' },
      allow: [],
    });
    expect(started.state).toBe('queued');
    finished = await services.internal.runs.orchestrator.whenDone(started.id);
    expect(finished.error).toBeUndefined();
    expect(finished.state).toBe('succeeded');
    expect(finished.transitions.map((t) => t.state)).toEqual([
      'queued',
      'preparing',
      'cloning',
      'running',
      'collecting',
      'succeeded',
    ]);

    const branch = finished.outputs.find((o) => o.kind === 'branch');
    const mr = finished.outputs.find((o) => o.kind === 'merge_request');
    const issue = finished.outputs.find((o) => o.kind === 'issue');
    expect(branch).toMatchObject({ change: 'created' });
    expect(branch?.kind === 'branch' && branch.commits.length).toBeGreaterThan(0);
    expect(mr).toMatchObject({ targetBranch: 'main', state: 'opened' });
    expect(issue).toMatchObject({ state: 'opened' });

    // What the app shows is what GitLab holds.
    const mrs = gitlab.mergeRequests('acme/api-service');
    expect(mrs.map((m) => m.iid)).toContain(mr?.kind === 'merge_request' ? mr.iid : -1);
    const pushed = execFileSync('git', ['--git-dir', gitlab.repoDir('acme/api-service'), 'branch', '--list'], {
      encoding: 'utf8',
    });
    expect(pushed).toContain(branch?.kind === 'branch' ? branch.name : '?');

    // The run's own GitLab host was on the allowlist; nothing else was reached.
    expect(finished.allowlist).toContain(new URL(gitlab.url).host);
    expect(
      finished.egress
        .filter((e) => e.verdict === 'allowed')
        .map((e) => e.destination)
        .join(' '),
    ).toContain(new URL(gitlab.url).hostname);
  }, 300_000);

  it('keeps the agent log and never writes the token to it or to the run record', async () => {
    const lines = await services.handlers.runs.logs(finished.id, {});
    expect(lines.length).toBeGreaterThan(0);
    const token = gitlab.user('cospec-bot').token;
    expect(lines.join('\n')).not.toContain(token);
    expect(JSON.stringify(await services.handlers.runs.get(finished.id))).not.toContain(token);
    expect(logLines.join('\n')).not.toContain(token);
    expect(sink.lines.join('\n')).not.toContain(token);
  });

  it('refreshes outputs from GitLab after the run (an MR merged meanwhile shows as merged)', async () => {
    const mr = finished.outputs.find((o) => o.kind === 'merge_request');
    if (mr?.kind !== 'merge_request') throw new Error('no MR');
    const root = gitlab.user('root');
    const res = await fetch(
      `${gitlab.url}/api/v4/projects/${encodeURIComponent('acme/api-service')}/merge_requests/${mr.iid}/merge`,
      {
        method: 'PUT',
        headers: { 'PRIVATE-TOKEN': root.token },
      },
    );
    expect(res.status).toBe(200);
    const refreshed = await services.handlers.runs.refreshOutputs(finished.id);
    expect(refreshed.outputs.find((o) => o.kind === 'merge_request')).toMatchObject({ state: 'merged' });
  }, 60_000);

  it('cancels a running agent: the run ends cancelled and its container is gone', async () => {
    const started = await services.handlers.runs.start({
      accountId,
      projectPath: 'acme/unprotected-lib',
      task: 'wait',
      agent: { kind: 'command', command: 'echo started; sleep 600' },
      allow: [],
    });
    await waitFor(
      async () => (await services.handlers.runs.get(started.id)).state === 'running' && logLines.includes('started'),
    );
    const cancelled = await services.handlers.runs.cancel(started.id);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.error?.code).toBe('CANCELLED');
    const left = execFileSync(
      'podman',
      ['ps', '-a', '--filter', `label=cospec.run=${started.id}`, '--format', '{{.ID}}'],
      {
        encoding: 'utf8',
        env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/cospec/containers.conf' },
      },
    );
    expect(left.trim()).toBe('');
  }, 300_000);

  it('fails a run with a clear ENGINE_UNAVAILABLE error when no container engine answers, losing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cospec-run-noengine-'));
    const other = await newServices(dir, { containerSocket: join(dir, 'no-engine.sock') });
    try {
      const bot = gitlab.user('cospec-bot');
      const { account } = await other.handlers.accounts.connectWithToken({
        instanceUrl: gitlab.url,
        token: bot.token,
        allowHttp: true,
      });
      const started = await other.handlers.runs.start({
        accountId: account.id,
        projectPath: 'acme/api-service',
        task: 'anything',
        agent: { kind: 'adapter', name: 'sample' },
        allow: [],
      });
      const done = await other.internal.runs.orchestrator.whenDone(started.id);
      expect(done.state).toBe('failed');
      expect(done.error?.code).toBe('ENGINE_UNAVAILABLE');
      expect(done.error?.message).toMatch(/Podman|Docker/);
      // The record survives for the user to read and retry.
      expect((await other.handlers.runs.list()).map((r) => r.id)).toContain(started.id);
    } finally {
      await other.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 240_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('condition not reached');
}
