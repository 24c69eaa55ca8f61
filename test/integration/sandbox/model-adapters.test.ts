import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_KEY_PLACEHOLDER } from '../../../src-main/services/gateway/model-apis';
import type { ModelApi } from '../../../src-shared/model/run';
import { startModelApiStandin, type ModelApiStandin } from '../../../tools/model-api-standin';
import { createHarness, runCommand, sandboxSkipReason, type Harness } from './harness';
import { inspectEnv, processTables, secretsInExport, secretsInFolders } from './model-keys';

/**
 * The real agent CLIs (the catalog's Claude Code and Codex layers, built from the npm registry as
 * agent-layers.test.ts builds them; cached after the first build) run as a run runs them, pointed by
 * their adapters at the run's model gateway, which forwards to a model API stand-in on loopback.
 * The stand-in holds its first answer until the test has searched the container from outside
 * while the CLI waits on it: the key reached the stand-in, and the container's environment (only
 * the placeholder), files and processes never held it. Each CLI's first turn ends with the
 * stand-in's text answer, and its usage is recorded with the run.
 */

const BUILD_TIMEOUT_MS = 20 * 60_000;

async function npmUnreachable(): Promise<string | undefined> {
  try {
    const res = await fetch('https://registry.npmjs.org/npm/10.9.9', { signal: AbortSignal.timeout(15_000) });
    await res.body?.cancel();
    return res.ok ? undefined : `the npm registry answered ${res.status}`;
  } catch (error) {
    return `the npm registry is not reachable from this machine (${error instanceof Error ? error.message : String(error)})`;
  }
}

const skip = (await sandboxSkipReason()) ?? (await npmUnreachable());
if (skip) console.warn(`[sandbox] skipping the real agent CLIs against the model gateway: ${skip}`);

let h: Harness | undefined;
beforeAll(async () => {
  if (!skip) h = await createHarness();
});
afterAll(async () => {
  await h?.cleanup();
});

/** Runs one adapter against a fresh stand-in and returns what both sides saw. */
async function runAdapter(agent: 'claude-code' | 'codex', api: ModelApi) {
  if (!h) throw new Error('no harness');
  const key = `${api === 'anthropic' ? 'sk-ant-api03' : 'sk-proj'}-REAL-${randomBytes(16).toString('hex')}`;
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  const standin: ModelApiStandin = await startModelApiStandin({
    keys: { [api]: key },
    reply: 'Nothing to change.',
    beforeAnswer: () => held,
  });
  try {
    const image = await h.sandbox.ensureImage(() => undefined, new AbortController().signal, [agent]);
    let seen:
      | { env: string[]; exported: string[]; folders: string[]; processes: { text: string; processes: number } }
      | undefined;
    const lines: string[] = [];
    const { result } = await runCommand(h, '', {
      onLine: (l) => lines.push(l),
      agent: { kind: 'adapter', name: agent },
      image,
      task: 'Say that there is nothing to change.',
      modelApis: [{ api, getKey: async () => key, upstream: standin.url }],
      timeoutMs: 300_000,
      inside: async (c) => {
        try {
          // The CLI is waiting on its first model call: look at everything it could read.
          const deadline = Date.now() + 180_000;
          while (standin.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
          if (standin.requests.length === 0) throw new Error(`${agent} made no model call:\n${lines.join('\n')}`);
          seen = {
            env: await inspectEnv(c.id),
            exported: (await secretsInExport(c.id, [key])).found,
            folders: await secretsInFolders(c, ['/tmp', '/workspace', '/cospec/run'], [key]),
            processes: await processTables(c),
          };
        } finally {
          release();
        }
      },
    });
    return { key, standin, result, lines, seen };
  } finally {
    release();
    await standin.close();
  }
}

/** What the CLI asked, what it printed last, and what was refused (printed with the test's result). */
function summary(run: Awaited<ReturnType<typeof runAdapter>>): string {
  const asked = run.standin.requests.map((r) => `${r.method} ${r.path}${r.stream ? ' (stream)' : ''} → ${r.status}`);
  return `${asked.join(', ')}; refused: ${JSON.stringify(run.result.modelUsage?.refused ?? [])}; last lines: ${run.lines.slice(-3).join(' | ').slice(0, 600)}`;
}

function expectKeyOutside(run: Awaited<ReturnType<typeof runAdapter>>, keyVariable: string, cli: RegExp): void {
  const { key, seen, lines } = run;
  if (!seen) throw new Error('the container was not inspected');
  expect(seen.env).toContain(`${keyVariable}=${MODEL_KEY_PLACEHOLDER}`);
  expect(seen.env.join('\n')).not.toContain(key);
  expect(seen.exported).toEqual([]);
  expect(seen.folders).toEqual([]);
  // The CLI itself was among the processes read.
  expect(seen.processes.text, 'the CLI process').toMatch(cli);
  expect(seen.processes.text).toContain(`${keyVariable}=${MODEL_KEY_PLACEHOLDER}`);
  expect(seen.processes.text).not.toContain(key);
  expect(lines.join('\n')).not.toContain(key);
}

describe.skipIf(skip)('real agent CLIs reach their model API only through the model gateway', () => {
  it(
    'Claude Code: its Messages API calls carry the real key at the API, its container only the placeholder',
    async () => {
      const run = await runAdapter('claude-code', 'anthropic');
      const { key, standin, result, lines } = run;
      console.info(`[sandbox] claude-code: ${summary(run)}`);
      expect(result.exitCode, lines.join('\n')).toBe(0);
      const messages = standin.requests.filter((r) => r.path.startsWith('/v1/messages'));
      expect(messages.length, JSON.stringify(standin.requests.map((r) => r.path))).toBeGreaterThan(0);
      for (const r of standin.requests) {
        expect(r.headers['x-api-key']).toBe(key);
        expect(r.headers.authorization).toBeUndefined();
      }
      expectKeyOutside(run, 'ANTHROPIC_API_KEY', /claude/);
      // Every call was answered (the CLI's first turn ends with the stand-in's text).
      expect(standin.requests.map((r) => r.status)).toEqual(standin.requests.map(() => 200));
      const usage = result.modelUsage?.calls.filter((c) => c.api === 'anthropic') ?? [];
      expect(usage.reduce((n, c) => n + c.requests, 0)).toBe(standin.requests.length);
      expect(usage.reduce((n, c) => n + c.outputTokens, 0)).toBe(
        standin.requests.reduce((n, r) => n + (r.usage?.output ?? 0), 0),
      );
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'Codex CLI: its Responses API calls carry the real key at the API, its container only the placeholder',
    async () => {
      const run = await runAdapter('codex', 'openai');
      const { key, standin, result, lines } = run;
      console.info(`[sandbox] codex: ${summary(run)}`);
      expect(result.exitCode, lines.join('\n')).toBe(0);
      const responses = standin.requests.filter((r) => r.path === '/v1/responses');
      expect(responses.length, JSON.stringify(standin.requests.map((r) => r.path))).toBeGreaterThan(0);
      expect(responses.every((r) => r.stream)).toBe(true);
      for (const r of standin.requests) {
        expect(r.headers.authorization).toBe(`Bearer ${key}`);
        expect(r.headers['x-api-key']).toBeUndefined();
      }
      expectKeyOutside(run, 'OPENAI_API_KEY', /codex/);
      expect(standin.requests.map((r) => r.status)).toEqual(standin.requests.map(() => 200));
      const usage = result.modelUsage?.calls.filter((c) => c.api === 'openai') ?? [];
      expect(usage.reduce((n, c) => n + c.inputTokens, 0)).toBe(
        responses.reduce((n, r) => n + (r.usage?.input ?? 0), 0),
      );
    },
    BUILD_TIMEOUT_MS,
  );
});
