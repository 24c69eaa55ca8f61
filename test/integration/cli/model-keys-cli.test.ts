import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { startModelApiStandin, type ModelApiStandin } from '../../../tools/model-api-standin';
import { sandboxSkipReason } from '../sandbox/harness';

/**
 * Model keys from the command line to the model API, end to end: `cospec agents key` stores the
 * key (read from stdin) in secure storage, a real Claude Code run (the catalog's layer, built from
 * the npm registry or found cached) calls its API through the model gateway, which the app points
 * at a model API stand-in (COSPEC_ANTHROPIC_API_URL), and `cospec run show` reports what the calls
 * cost. The key never appears in any output.
 */

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function npmUnreachable(): Promise<string | undefined> {
  try {
    const res = await fetch('https://registry.npmjs.org/npm/10.9.9', { signal: AbortSignal.timeout(15_000) });
    await res.body?.cancel();
    return res.ok ? undefined : `the npm registry answered ${res.status}`;
  } catch (error) {
    return `the npm registry is not reachable (${error instanceof Error ? error.message : String(error)})`;
  }
}

const skip = (await sandboxSkipReason()) ?? (await npmUnreachable());
if (skip) console.warn(`[cli] skipping the model key run through the CLI: ${skip}`);

const KEY = `sk-ant-api03-CLI-${randomBytes(16).toString('hex')}`;
let dataDir: string;
let gitlab: StandIn | undefined;
let models: ModelApiStandin | undefined;

function cospec(args: string[], stdin = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/cospec.mjs', ...args], {
      env: { ...process.env, COSPEC_DATA_DIR: dataDir, COSPEC_ANTHROPIC_API_URL: models?.url ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

beforeAll(async () => {
  if (skip) return;
  dataDir = mkdtempSync(join(tmpdir(), 'cospec-cli-model-'));
  gitlab = await startGitLabStandIn();
  models = await startModelApiStandin({ keys: { anthropic: KEY }, reply: 'Nothing to change.' });
});
afterAll(async () => {
  await models?.close();
  await gitlab?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(skip)('cospec agents key, then a Claude Code run through the model gateway', () => {
  it('stores the key from stdin, runs the agent with it added outside the sandbox and shows the usage', async () => {
    if (!gitlab || !models) throw new Error('no stand-ins');
    const added = await cospec(
      ['accounts', 'add', '--url', gitlab.url, '--allow-http'],
      gitlab.user('cospec-bot').token,
    );
    expect(added.code, added.stderr || added.stdout).toBe(0);

    const stored = await cospec(['agents', 'key', 'claude-code'], `${KEY}\n`);
    expect(stored.code, stored.stderr || stored.stdout).toBe(0);
    expect(stored.stdout).toContain('Stored the model key of claude-code');
    const list = await cospec(['agents']);
    expect(list.stdout).toMatch(/claude-code\s+Claude Code\s+api\.anthropic\.com\s+stored\s+yes/);
    expect(list.stdout).toMatch(/codex\s+Codex CLI\s+api\.openai\.com\s+missing/);

    const run = await cospec([
      'run',
      '--repo',
      'acme/web-app',
      '--task',
      'Say there is nothing to change.',
      '--agent',
      'claude-code',
    ]);
    const shown = `${run.stdout}\n${run.stderr}`;
    expect(run.code, shown).toBe(0);
    expect(models.requests.length, shown).toBeGreaterThan(0);
    for (const r of models.requests) expect(r.headers['x-api-key']).toBe(KEY);
    const answered = models.requests.filter((r) => r.usage);
    const input = answered.reduce((n, r) => n + r.usage!.input + r.usage!.cacheRead + r.usage!.cacheWrite, 0);
    const output = answered.reduce((n, r) => n + r.usage!.output, 0);
    const id = /^Run (\S+)$/m.exec(run.stdout)?.[1] ?? '';
    const show = await cospec(['run', 'show', id]);
    expect(show.stdout).toContain('model calls (through the model gateway):');
    expect(show.stdout).toMatch(
      new RegExp(
        `anthropic claude-\\S+: \\d+ requests?, ${input.toLocaleString('en-US')} input tokens \\([\\d,]+ cached\\), ${output.toLocaleString('en-US')} output tokens`,
      ),
    );
    const json = JSON.parse((await cospec(['--json', 'run', 'show', id])).stdout) as {
      modelUsage?: { calls: Array<{ requests: number }> };
    };
    expect(json.modelUsage?.calls.reduce((n, c) => n + c.requests, 0)).toBe(models.requests.length);
    for (const out of [added, stored, list, run, show]) expect(out.stdout + out.stderr).not.toContain(KEY);
  }, 900_000);
});
