import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODEX_TMPDIR_PREFIX } from '../../../src-main/services/agents/catalog';
import type { ExecuteRequest } from '../../../src-main/services/sandbox';
import { runPaths } from '../../../src-main/services/runs/store';
import { createHarness, sandboxSkipReason, sh, type Harness } from './harness';

/**
 * The agent CLIs of the catalog, really installed: each layer is built through the app's own path (sandbox.ensureImage →
 * ensureSandboxImage → the engine's build API) with its progress lines, then the CLI is run in a
 * container of the sandbox with the hardening of every run (non-root, read-only root, no
 * capabilities, no-new-privileges). Layers are cached by the hash of their definition: the first
 * run on a machine builds them (minutes), later runs find them.
 */

const BUILD_TIMEOUT_MS = 20 * 60_000;

/** Why a registry cannot be used from here (the image builds fetch from it), or undefined. */
async function unreachable(name: string, url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    await res.body?.cancel();
    return res.ok ? undefined : `${name} answered ${res.status} for ${url}`;
  } catch (error) {
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return `${name} is not reachable from this machine (${url}: ${cause})`;
  }
}

const engineSkip = await sandboxSkipReason();
const npmSkip = engineSkip ?? (await unreachable('the npm registry', 'https://registry.npmjs.org/npm/10.9.9'));
const pypiSkip = engineSkip ?? (await unreachable('PyPI', 'https://pypi.org/simple/aider-chat/'));
if (npmSkip) console.warn(`[sandbox] skipping the claude-code and codex layer tests: ${npmSkip}`);
if (pypiSkip)
  console.warn(
    `[sandbox] skipping the aider layer test: ${pypiSkip}; aider installs from PyPI (pipx install aider-chat)`,
  );

interface Built {
  image: string;
  progress: Array<{ detail: string; percent?: number }>;
  seconds: number;
}

let h: Harness | undefined;
const built = new Map<string, Promise<Built>>();

/** One build per agent per file, shared by its tests; a cached layer comes back at once. */
function build(agent: string): Promise<Built> {
  let pending = built.get(agent);
  if (!pending) {
    pending = (async () => {
      if (!h) throw new Error('no harness');
      const progress: Built['progress'] = [];
      const started = Date.now();
      const image = await h.sandbox.ensureImage(
        (detail, percent) => progress.push({ detail, ...(percent === undefined ? {} : { percent }) }),
        new AbortController().signal,
        [agent],
      );
      const seconds = Math.round((Date.now() - started) / 1000);
      console.info(`[sandbox] ${agent} layer ${image}: ${seconds} s (${progress.length} progress lines)`);
      return { image, progress, seconds };
    })();
    built.set(agent, pending);
  }
  return pending;
}

let counter = 0;

/** Runs `command` as a run's agent in `image`, with the sandbox's hardening; returns exit code and output. */
async function runIn(image: string, command: string): Promise<{ exitCode: number; lines: string[] }> {
  if (!h) throw new Error('no harness');
  const runId = `layers${process.pid}-${++counter}`;
  const paths = runPaths(join(h.dir, 'runs'), runId);
  await mkdir(paths.workspace, { recursive: true });
  await sh('git', ['init', '-q', paths.workspace]);
  const lines: string[] = [];
  const instanceUrl = 'http://127.0.0.1:9';
  const req: ExecuteRequest = {
    runId,
    paths,
    image,
    allowlist: [],
    project: {
      instanceUrl,
      projectId: 1,
    },
    spec: {
      accountId: 'acct',
      projectPath: 'acme/web-app',
      task: 'Print your version',
      agent: { kind: 'command', command },
      allow: [],
    },
    timeoutMs: 120_000,
    onLog: (line) => lines.push(line),
    signal: new AbortController().signal,
  };
  const result = await h.sandbox.execute(req, {
    getCredentials: async () => ({ token: 'glpat-unused' }),
    projectPaths: ['acme/web-app'],
  });
  return { exitCode: result.exitCode, lines };
}

/** What every run's container must look like from inside, then `cli --version` (stdout, and stderr apart). */
const HARDENED_VERSION = (cli: string, prefix = '') =>
  [
    prefix,
    'echo "uid=$(id -u)";',
    // /proc/self/status: no effective capabilities, no_new_privs set.
    'grep -E "^(CapEff|NoNewPrivs):" /proc/self/status | tr -s "\\t " " ";',
    'if touch /usr/local/bin/cospec-probe 2>/dev/null; then echo "rootfs=writable"; else echo "rootfs=read-only"; fi;',
    `echo "version=$(${cli} --version 2>/tmp/stderr)";`,
    'sed "s/^/stderr=/" /tmp/stderr',
  ].join(' ');

function expectHardened(lines: string[]): void {
  expect(lines).toContain('uid=1000');
  expect(lines).toContain('CapEff: 0000000000000000');
  expect(lines).toContain('NoNewPrivs: 1');
  expect(lines).toContain('rootfs=read-only');
}

beforeAll(async () => {
  if (!npmSkip || !pypiSkip) h = await createHarness();
});

afterAll(async () => {
  await h?.cleanup();
});

describe.skipIf(npmSkip)('agent layers from the npm registry', () => {
  it(
    'builds the claude-code layer through the app, with progress, and runs `claude --version` as the sandbox user',
    async () => {
      const { image, progress } = await build('claude-code');
      expect(image).toMatch(/^cospec-sandbox-agent:[0-9a-f]{16}$/);
      expect(progress[0]?.detail).toBe('Checking the sandbox image');
      expect(progress.at(-1)).toEqual({ detail: 'Sandbox image ready', percent: 100 });
      // A cold build streams the engine's lines (steps, downloads, heartbeats) under a rising percentage.
      if (progress.some((p) => p.detail.startsWith('Installing claude-code'))) {
        expect(progress.some((p) => /^STEP \d+\/\d+: RUN /.test(p.detail))).toBe(true);
        const percents = progress.flatMap((p) => (p.percent === undefined ? [] : [p.percent]));
        expect(percents).toEqual([...percents].sort((a, b) => a - b));
      }
      const { exitCode, lines } = await runIn(image, HARDENED_VERSION('claude'));
      expect(exitCode, lines.join('\n')).toBe(0);
      expectHardened(lines);
      expect(lines).toContain('version=2.1.332 (Claude Code)');
      expect(lines.filter((l) => l.startsWith('stderr='))).toEqual([]);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'builds the codex layer with its linux native binary and runs `codex --version` as the sandbox user',
    async () => {
      const { image } = await build('codex');
      const { exitCode, lines } = await runIn(
        image,
        // With the adapter's own prefix, as a codex run starts it.
        `${HARDENED_VERSION('codex', CODEX_TMPDIR_PREFIX)}; ls /usr/local/lib/node_modules/@openai/codex/node_modules/@openai/ | sed "s/^/native=/"`,
      );
      expect(exitCode, lines.join('\n')).toBe(0);
      expectHardened(lines);
      expect(lines).toContain('version=codex-cli 0.169.0');
      expect(lines.filter((l) => l.startsWith('stderr='))).toEqual([]);
      expect(
        lines.some((l) => /^native=codex-linux-(x64|arm64)$/.test(l)),
        lines.join('\n'),
      ).toBe(true);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'finds a built layer by its definition hash instead of building it again',
    async () => {
      const first = await build('claude-code');
      if (!h) throw new Error('no harness');
      const progress: string[] = [];
      const again = await h.sandbox.ensureImage((d) => progress.push(d), new AbortController().signal, ['claude-code']);
      expect(again).toBe(first.image);
      expect(progress).toEqual(['Checking the sandbox image', 'Sandbox image ready']);
    },
    BUILD_TIMEOUT_MS,
  );
});

describe.skipIf(pypiSkip)('agent layers from PyPI', () => {
  it(
    'builds the aider layer and runs `aider --version` as the sandbox user',
    async () => {
      const { image } = await build('aider');
      const { exitCode, lines } = await runIn(image, HARDENED_VERSION('aider'));
      expect(exitCode, lines.join('\n')).toBe(0);
      expectHardened(lines);
      expect(lines).toContain('version=aider 0.86.1');
    },
    BUILD_TIMEOUT_MS,
  );
});
