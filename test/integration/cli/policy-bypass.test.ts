import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';

/**
 * Attack: a user (or a script an agent talked them into running) tries to get around the admin's
 * policy from the `cospec` command — pointing COSPEC_POLICY_PATH at a permissive file, with the
 * development flag, while the machine has a policy — or asks a run for more than the policy allows.
 *
 * The machine policy is the real one at /etc/cospec/policy.json, not a path the product lets anyone
 * inject: each CLI process runs in its own mount namespace (unshare, root only) where a scratch
 * folder is bind-mounted over /etc/cospec. Nothing outside that process sees it, so suites running
 * in parallel are not affected, and the product has no test-only switch a user could flip.
 */

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const MACHINE_DIR = '/etc/cospec';

function skipReason(): string | undefined {
  if (process.platform !== 'linux') return 'mount namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'bind-mounting over /etc/cospec needs root';
  if (!existsSync(MACHINE_DIR) || !statSync(MACHINE_DIR).isDirectory())
    return `${MACHINE_DIR} does not exist (scripts/setup/podman.sh makes it)`;
  if (existsSync(join(MACHINE_DIR, 'policy.json')))
    return `this machine has a real policy at ${MACHINE_DIR}/policy.json, which these tests would not replace`;
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']);
  if (probe.status !== 0)
    return `unshare --mount does not work here: ${probe.stderr?.toString().trim() || probe.error}`;
  return undefined;
}
const skip = skipReason();
if (skip) console.warn(`[cli] skipping the policy bypass tests: ${skip}`);

let dataDir: string;
let machineDir: string;
let gitlab: StandIn;

/** `cospec ARGS` as users run it; with `machinePolicy`, in a namespace where /etc/cospec holds that policy. */
function cospec(args: string[], opts: { env?: Record<string, string>; machinePolicy?: boolean } = {}): Promise<Result> {
  const cli = [process.execPath, 'scripts/cospec.mjs', ...args];
  const [cmd, ...argv] = opts.machinePolicy
    ? [
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount --bind "$0" /etc/cospec && exec "$@"',
        machineDir,
        ...cli,
      ]
    : cli;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, argv, {
      env: { ...process.env, COSPEC_DATA_DIR: dataDir, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const RESTRICTIVE = {
  version: 1,
  egress: { allow: [], allowUserAdditions: false },
  sandbox: { timeoutMinutes: 10, allowedAgents: ['sample'], allowCustomCommands: false },
};

describe.skipIf(skip)('the admin policy from the cospec command', () => {
  let permissive: string;
  const bypassEnv = () => ({ COSPEC_POLICY_PATH: permissive, COSPEC_DEVELOPMENT: '1' });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'cospec-cli-policy-'));
    machineDir = mkdtempSync(join(tmpdir(), 'cospec-machine-etc-'));
    // The machine's other files stay visible inside the namespace (the engine configuration).
    for (const name of readdirSync(MACHINE_DIR))
      if (statSync(join(MACHINE_DIR, name)).isFile()) copyFileSync(join(MACHINE_DIR, name), join(machineDir, name));
    writeFileSync(join(machineDir, 'policy.json'), JSON.stringify(RESTRICTIVE));
    permissive = join(dataDir, 'permissive.json');
    writeFileSync(permissive, JSON.stringify({ version: 1 }));
    gitlab = await startGitLabStandIn();
    const token = gitlab.user('cospec-bot').token;
    const add = await new Promise<Result>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['scripts/cospec.mjs', 'accounts', 'add', '--url', gitlab.url, '--allow-http'],
        { env: { ...process.env, COSPEC_DATA_DIR: dataDir }, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: '', stderr }));
      child.stdin.end(`${token}\n`);
    });
    expect(add.code, add.stderr || add.stdout).toBe(0);
  }, 120_000);

  afterAll(async () => {
    await gitlab?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (machineDir) rmSync(machineDir, { recursive: true, force: true });
  });

  const run = (extra: string[]) => ['run', '--repo', 'acme/web-app', '--task', 'probe', ...extra];

  async function expectNoRuns() {
    const list = await cospec(['runs', '--json']);
    expect(list.code, list.stderr || list.stdout).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  }

  it('sees the machine policy inside the namespace, and only there', async () => {
    const inside = spawnSync('unshare', [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$0" /etc/cospec && cat /etc/cospec/policy.json',
      machineDir,
    ]);
    expect(JSON.parse(inside.stdout.toString())).toEqual(RESTRICTIVE);
    expect(existsSync(join(MACHINE_DIR, 'policy.json'))).toBe(false);
  });

  it.each([
    ['a custom command', ['--command', 'touch /workspace/pwned'], /custom commands/],
    ['a forbidden agent', ['--agent', 'codex'], /codex/],
    ['a longer time limit', ['--agent', 'sample', '--timeout', '600'], /limits runs to 10 minutes/],
    ['an extra destination', ['--agent', 'sample', '--allow', 'pypi.org'], /manages the egress allowlist/],
  ])(
    'COSPEC_POLICY_PATH with the development flag does not replace the machine policy: %s is refused',
    async (_what, extra, message) => {
      const r = await cospec(run(extra), { env: bypassEnv(), machinePolicy: true });
      expect(r.code, r.stderr || r.stdout).toBe(1);
      expect(r.stderr).toMatch(/POLICY_FORBIDS/);
      expect(r.stderr).toMatch(message);
      await expectNoRuns();
    },
    60_000,
  );

  it('an invalid machine policy still blocks runs, whatever the override says', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'cospec-machine-etc-'));
    writeFileSync(join(broken, 'policy.json'), '{"version": 1, "sandbox": {"allowCustomCommand": true}}');
    const saved = machineDir;
    machineDir = broken;
    try {
      const r = await cospec(run(['--agent', 'sample']), { env: bypassEnv(), machinePolicy: true });
      expect(r.code, r.stderr || r.stdout).toBe(1);
      expect(r.stderr).toMatch(/\/etc\/cospec\/policy\.json\) is invalid/);
      expect(r.stderr).toMatch(/POLICY_FORBIDS/);
    } finally {
      machineDir = saved;
      rmSync(broken, { recursive: true, force: true });
    }
    await expectNoRuns();
  }, 60_000);

  it('without a machine policy the development override is read (so the test above is meaningful)', async () => {
    const strict = join(dataDir, 'strict.json');
    writeFileSync(strict, JSON.stringify(RESTRICTIVE));
    const r = await cospec(run(['--command', 'id']), { env: { COSPEC_POLICY_PATH: strict, COSPEC_DEVELOPMENT: '1' } });
    expect(r.code, r.stderr || r.stdout).toBe(1);
    expect(r.stderr).toMatch(/custom commands/);
    await expectNoRuns();
  }, 60_000);

  it.each(['127.1', '[::ffff:127.0.0.1]:22', '0251.0376.0251.0376', 'LOCALHOST.', 'metadata.google.internal', '*.com'])(
    'a run may not add %s, with or without a policy',
    async (entry) => {
      const r = await cospec(run(['--agent', 'sample', '--allow', entry]));
      // 1 for a destination the policy forbids, 2 (bad arguments) for one that can be no entry at all.
      expect([1, 2], r.stderr).toContain(r.code);
      expect(r.stderr).toMatch(/refused|public suffix/);
      await expectNoRuns();
    },
    60_000,
  );
});
