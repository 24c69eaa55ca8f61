import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { startServices } from '../accounts/harness';
import { sandboxSkipReason } from '../sandbox/harness';

/**
 * The app dies mid-run (SIGKILL of the process that owns it, here the cospec CLI): on the next start
 * the run is marked interrupted and its container, left running by the dead process, is removed.
 */
const skip = await sandboxSkipReason();
if (skip) console.warn(`[runs] skipping restart recovery: ${skip}`);

const podmanPs = (runId: string) =>
  execFileSync('podman', ['ps', '-a', '--filter', `label=cospec.run=${runId}`, '--format', '{{.ID}}'], {
    encoding: 'utf8',
    env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/cospec/containers.conf' },
  }).trim();

let gitlab: StandIn;
let dataDir: string;

describe.skipIf(skip)('restart recovery', () => {
  beforeAll(async () => {
    gitlab = await startGitLabStandIn();
    dataDir = mkdtempSync(join(tmpdir(), 'cospec-recover-'));
  });
  afterAll(async () => {
    await gitlab?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('marks a run interrupted and removes its container after the app was killed mid-run', async () => {
    const first = await startServices({ dataDir });
    await first.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: gitlab.user('cospec-bot').token,
      allowHttp: true,
    });
    await first.services.dispose();

    const child = spawn(
      process.execPath,
      ['scripts/cospec.mjs', 'run', '--repo', 'acme/web-app', '--task', 'x', '--command', 'echo agent-up; sleep 600'],
      {
        env: { ...process.env, COSPEC_DATA_DIR: dataDir },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('agent-up')) resolve();
      });
      child.on('close', () => reject(new Error(`cospec exited early: ${stderr}`)));
    });
    const runId = /Run ([0-9a-f-]{36}) queued/.exec(stderr)?.[1] ?? '';
    child.removeAllListeners('close');
    const closed = new Promise((r) => child.on('close', r));
    child.kill('SIGKILL');
    await closed;
    expect(podmanPs(runId)).not.toBe(''); // the dead process could not clean up

    const again = await startServices({ dataDir });
    try {
      const record = await again.services.handlers.runs.get(runId);
      expect(record.state).toBe('interrupted');
      expect(record.detail).toMatch(/app stopped/i);
      expect(podmanPs(runId)).toBe('');
    } finally {
      await again.services.dispose();
    }
  }, 240_000);
});
