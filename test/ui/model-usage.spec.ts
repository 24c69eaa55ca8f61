import { mkdir, writeFile } from 'node:fs/promises';
import type { RunRecord } from '../../src-shared/model/run';
import { expect, test } from './fixtures';

/*
 * The run view's "Model calls" card: what a model-backed agent's calls cost as the API reported it
 * to the model gateway, per model, with the calls the gateway refused. The run is seeded through the
 * services' own RunStore (as in runs.spec.ts: the UI harness has no container engine).
 */

const HOST = 'gitlab.example.test';
const at = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

const record: RunRecord = {
  id: 'run-claude',
  spec: {
    accountId: 'acct-1',
    projectPath: 'acme/web-app',
    task: 'Fix the flaky date test in utils/date.test.ts',
    agent: { kind: 'adapter', name: 'claude-code' },
    allow: [],
  },
  state: 'succeeded',
  detail: '1 branch, 1 merge request',
  instanceUrl: `https://${HOST}`,
  projectWebUrl: `https://${HOST}/acme/web-app`,
  createdAt: at(12),
  updatedAt: at(3),
  endedAt: at(3),
  exitCode: 0,
  transitions: (['queued', 'preparing', 'cloning', 'running', 'collecting', 'succeeded'] as const).map((state, i) => ({
    state,
    at: at(12 - i * 1.5),
  })),
  allowlist: [HOST],
  egress: [
    { destination: `${HOST}:443`, verdict: 'allowed', count: 9 },
    { destination: 'anthropic.model.cospec.internal:80', verdict: 'allowed', count: 31 },
    { destination: 'api.anthropic.com:443', verdict: 'denied', reason: 'not on the allowlist', count: 1 },
  ],
  refusals: [],
  outputs: [],
  modelUsage: {
    calls: [
      {
        api: 'anthropic',
        model: 'claude-sonnet-4-5',
        requests: 27,
        inputTokens: 412_880,
        outputTokens: 9_614,
        cachedInputTokens: 371_002,
      },
      {
        api: 'anthropic',
        model: 'claude-haiku-4-5',
        requests: 3,
        inputTokens: 1_204,
        outputTokens: 88,
        cachedInputTokens: 0,
      },
      { api: 'anthropic', model: '', requests: 1, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
    ],
    refused: [
      {
        api: 'anthropic',
        target: 'POST /v1/files',
        reason: 'not a call an agent needs',
        count: 2,
      },
    ],
  },
};

test('the run view shows what the model calls cost and what the model gateway refused', async ({ app }) => {
  const store = app.services.internal.runs.store;
  await store.save(record);
  const paths = store.paths(record.id);
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.agentLog, 'Fixed the test: it now freezes the clock.\n');

  await app.goto('#/runs/run-claude');
  const usage = app.page.getByTestId('model-usage');
  await expect(usage).toBeVisible();
  const rows = usage.locator('tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText('claude-sonnet-4-5');
  await expect(rows.nth(0)).toContainText('27');
  await expect(rows.nth(0)).toContainText('412,880');
  await expect(rows.nth(0)).toContainText('371,002 cached');
  await expect(rows.nth(0)).toContainText('9,614');
  await expect(rows.nth(2)).toContainText('other calls');
  await expect(usage.locator('tfoot')).toContainText('31');
  await expect(usage.locator('tfoot')).toContainText('414,084');
  await expect(usage.getByRole('list', { name: 'Refused model calls' })).toContainText(
    'POST /v1/files refused (2×) — not a call an agent needs',
  );
  await usage.scrollIntoViewIfNeeded();
  await app.snap('runs-model-usage');
});
