import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { sandboxSkipReason } from '../sandbox/harness';

/** The `cospec` command as users run it (node scripts/cospec.mjs), against the stand-in and real Podman. */
interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

let dataDir: string;
let gitlab: StandIn;
const skipRuns = await sandboxSkipReason();
if (skipRuns) console.warn(`[cli] skipping the CLI run tests: ${skipRuns}`);

function cospec(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/cospec.mjs', ...args], {
      env: { ...process.env, COSPEC_DATA_DIR: dataDir, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

const json = <T>(r: Result): T => JSON.parse(r.stdout) as T;

let accountId: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'cospec-cli-'));
  gitlab = await startGitLabStandIn();
});
afterAll(async () => {
  await gitlab?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('cospec accounts', () => {
  it('adds an account with the token read from stdin (never argv) and prints it as JSON', async () => {
    const token = gitlab.user('cospec-bot').token;
    const r = await cospec(['--json', 'accounts', 'add', '--url', gitlab.url, '--allow-http'], { stdin: `${token}\n` });
    expect(r.code, r.stderr || r.stdout).toBe(0);
    const out = json<{ account: { id: string; username: string; isBot: boolean } }>(r);
    expect(out.account.username).toBe('cospec-bot');
    expect(r.stdout + r.stderr).not.toContain(token);
    accountId = out.account.id;
  }, 60_000);

  it('lists accounts for humans and for machines', async () => {
    const human = await cospec(['accounts', 'list']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ID\s+INSTANCE\s+USER/m);
    expect(human.stdout).toContain('cospec-bot');
    const machine = json<Array<{ id: string }>>(await cospec(['accounts', 'list', '--json']));
    expect(machine.map((a) => a.id)).toEqual([accountId]);
  }, 60_000);

  it('tests an account against its instance', async () => {
    const r = await cospec(['accounts', 'test', accountId]);
    expect(r.code, r.stderr || r.stdout).toBe(0);
    expect(r.stdout).toMatch(/cospec-bot on 127\.0\.0\.1:\d+: (ok|warning)/);
  }, 60_000);

  it('refuses a wrong token with a clear message and exit code 1, keeping the existing account', async () => {
    const r = await cospec(['accounts', 'add', '--url', gitlab.url, '--allow-http'], {
      stdin: 'glpat-not-a-real-token-000\n',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cospec: .+\[(UNAUTHORIZED|TOKEN_REVOKED|TOKEN_EXPIRED)\]/);
    expect(json<unknown[]>(await cospec(['accounts', 'list', '--json']))).toHaveLength(1);
  }, 60_000);
});

describe('cospec accounts with OAuth', () => {
  it('signs in through the browser, and shows "sign in again" once GitLab refuses the refresh', async () => {
    // What an admin configures: coSPEC's OAuth application on this instance, in the shared settings file.
    const settingsPath = join(dataDir, 'config.json');
    const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as Record<string, unknown>;
    settings.oauth = { applications: [{ instanceUrl: gitlab.url, clientId: gitlab.oauthApp.clientId }] };
    writeFileSync(settingsPath, JSON.stringify(settings));

    // `accounts add --oauth` prints the authorize URL and waits for the loopback redirect; the test is the browser.
    const child = spawn(process.execPath, ['scripts/cospec.mjs', 'accounts', 'add', '--oauth', '--url', gitlab.url], {
      env: { ...process.env, COSPEC_DATA_DIR: dataDir, BROWSER: 'true', DISPLAY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const authorizeUrl = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const url = /(http\S+\/oauth\/authorize\S+)/.exec(stderr)?.[1];
        if (url) resolve(url);
      });
      child.on('close', () => reject(new Error(`cospec exited before printing the authorize URL: ${stderr}`)));
    });
    let code: number | null;
    try {
      const landing = await fetch(await gitlab.approveAuthorization(authorizeUrl, 'alice'));
      expect(landing.status).toBe(200);
      code = await exited;
    } finally {
      child.kill();
    }
    expect(code, stderr).toBe(0);
    const id = /^Connected alice on \S+ \((\S+)\)\.$/m.exec(stdout)?.[1];
    const alice = json<Array<{ id: string; username: string; authMethod: string }>>(
      await cospec(['accounts', 'list', '--json']),
    ).find((a) => a.id === id)!;
    expect(alice).toMatchObject({ username: 'alice', authMethod: 'oauth' });

    // The user revokes coSPEC under Preferences → Applications on GitLab; the next check needs a refresh, which is refused.
    expect(gitlab.revokeAuthorizedApplication('alice')).toBeGreaterThan(0);
    const test = await cospec(['accounts', 'test', alice.id]);
    expect(test.stdout).toMatch(
      /alice on 127\.0\.0\.1:\d+: sign in again — .*no longer works.*cospec accounts add --oauth/,
    );
    const human = await cospec(['accounts', 'list']);
    expect(human.stdout).toMatch(new RegExp(`^${alice.id}\\s.*alice\\s.*oauth.*sign in again$`, 'm'));
    const machine = json<Array<{ id: string; health: { code?: string; signInAgain?: boolean } }>>(
      await cospec(['accounts', 'list', '--json']),
    );
    expect(machine.find((a) => a.id === alice.id)?.health).toMatchObject({ code: 'SIGN_IN_AGAIN', signInAgain: true });
    const removed = await cospec(['accounts', 'remove', alice.id]);
    expect(removed.code, removed.stderr || removed.stdout).toBe(0);
  }, 90_000);
});

describe('cospec repos', () => {
  it('lists Developer+ repositories, searchable, as a table or JSON', async () => {
    const all = json<Array<{ pathWithNamespace: string }>>(await cospec(['repos', '--refresh', '--json']));
    const paths = all.map((p) => p.pathWithNamespace);
    expect(paths).toContain('acme/web-app');
    expect(paths).not.toContain('tools/secret');
    expect(paths).not.toContain('tools/cli'); // Reporter only
    const found = await cospec(['repos', '--search', 'unprotected']);
    expect(found.code).toBe(0);
    expect(found.stdout).toContain('acme/unprotected-lib');
    expect(found.stdout).not.toContain('acme/web-app');
  }, 60_000);
});

describe('archived projects', () => {
  it('are listed as read-only, and a run on one is refused before it exists, with the reason', async () => {
    const listed = await cospec(['repos', '--search', 'service-30']);
    expect(listed.stdout).toContain('acme/service-30 [archived: read-only]');
    const machine = json<Array<{ pathWithNamespace: string; archived: boolean }>>(
      await cospec(['repos', '--search', 'service-', '--json']),
    );
    expect(machine.find((p) => p.pathWithNamespace === 'acme/service-30')?.archived).toBe(true);
    expect(machine.find((p) => p.pathWithNamespace === 'acme/service-29')?.archived).toBe(false);

    const before = json<unknown[]>(await cospec(['runs', '--json'])).length;
    const r = await cospec(['run', '--repo', 'acme/service-30', '--task', 'fix it', '--agent', 'sample']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /acme\/service-30 is archived on 127\.0\.0\.1:\d+: GitLab refuses pushes.*\[PROJECT_ARCHIVED\]/,
    );
    expect(json<unknown[]>(await cospec(['runs', '--json']))).toHaveLength(before);
  }, 60_000);
});

describe('bad arguments', () => {
  it.each([
    [['run', '--task', 'x'], /needs --repo/],
    [['run', 'show'], /needs a run id/],
    [['run', 'explode', 'abc'], /Unknown run action/],
    [['accounts', 'add'], /--url is required/],
    [['--no-such-flag'], /unknown option/],
    [['run', '--repo', 'acme/web-app', '--task', 'x', '--agent', 'sample', '--command', 'ls'], /--agent or --command/],
  ])(
    'cospec %j exits 2 with a clear message',
    async (args, message) => {
      const r = await cospec(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    },
    60_000,
  );

  it('reports an unknown run id with exit code 1', async () => {
    const r = await cospec(['run', 'show', 'no-such-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/There is no run no-such-run/);
  }, 60_000);
});

describe.skipIf(skipRuns)('cospec run', () => {
  let runId: string;

  it('runs the sample agent, following it to the end, and prints its outputs', async () => {
    const r = await cospec(['--json', 'run', '--repo', 'acme/web-app', '--task', 'Add a note', '--agent', 'sample']);
    expect(r.code, r.stderr || r.stdout).toBe(0);
    const record = json<{ id: string; state: string; outputs: Array<{ kind: string }> }>(r);
    expect(record.state).toBe('succeeded');
    expect(record.outputs.map((o) => o.kind).sort()).toEqual(['branch', 'issue', 'merge_request']);
    runId = record.id;
  }, 300_000);

  it('lists runs and shows one run, its logs and its outputs', async () => {
    const runs = await cospec(['runs']);
    expect(runs.stdout).toMatch(new RegExp(`${runId}\\s+acme/web-app\\s+succeeded`));
    const show = await cospec(['run', 'show', runId]);
    expect(show.stdout).toMatch(/state\s+succeeded/);
    expect(show.stdout).toMatch(/merge request !\d+/);
    const logs = await cospec(['run', 'logs', runId, '--tail', '3']);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n')).toHaveLength(3);
    const outputs = json<Array<{ kind: string; webUrl: string | null }>>(
      await cospec(['run', 'outputs', runId, '--json']),
    );
    expect(outputs.find((o) => o.kind === 'merge_request')?.webUrl).toMatch(/\/acme\/web-app\/-\/merge_requests\/\d+$/);
  }, 120_000);

  it('keeps what it wrote readable by this user only; another local user reads nothing', async () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    const run = join(dataDir, 'runs', runId);
    // An older version (or a loose umask) left folders open: the next command closes them again.
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'runs'), 0o755);
    expect((await cospec(['runs'])).code).toBe(0);
    for (const dir of [dataDir, join(dataDir, 'runs'), run, join(dataDir, 'logs'), join(dataDir, 'cache')])
      expect(mode(dir), dir).toBe(0o700);
    for (const file of [
      'config.json',
      join('runs', runId, 'run.json'),
      ...['agent.log', 'egress.log', 'gateway.log'].map((f) => join('runs', runId, f)),
    ])
      if (existsSync(join(dataDir, file))) expect(mode(join(dataDir, file)), file).toBe(0o600);
    expect(existsSync(join(run, 'run.json'))).toBe(true);
    // The clone was made by git under umask 077: what clone wrote is open to neither group nor others
    // (files the agent added in the container follow its own umask, still inside the 0700 run folder).
    const open: string[] = [];
    const walk = (path: string) => {
      if (!existsSync(path)) return;
      if (mode(path) & 0o077) open.push(`${path} ${mode(path).toString(8)}`);
      if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    };
    walk(join(run, 'workspace', '.git', 'objects', 'pack'));
    walk(join(run, 'workspace', '.git', 'config'));
    walk(join(run, 'workspace', '.git', 'packed-refs'));
    expect(open).toEqual([]);

    // The attack: another account on this machine tries to read the run's files.
    if (process.getuid?.() === 0) {
      for (const target of [
        join(run, 'agent.log'),
        join(run, 'run.json'),
        join(run, 'workspace', '.git', 'config'),
        join(dataDir, 'config.json'),
      ]) {
        const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'cat', target]);
        expect(r.status, `${target} was readable by nobody`).not.toBe(0);
        expect(r.stderr.toString()).toMatch(/Permission denied/);
        expect(r.stdout.length).toBe(0);
      }
    } else console.warn('[cli] not root: the read attempt as another user is skipped');
  }, 60_000);

  it('Ctrl-C cancels a running agent: exit 130, the run recorded as cancelled, its container removed', async () => {
    const child = spawn(
      process.execPath,
      ['scripts/cospec.mjs', 'run', '--repo', 'acme/web-app', '--task', 'x', '--command', 'echo agent-up; sleep 600'],
      {
        env: { ...process.env, COSPEC_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    const code = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('agent-up')) resolve();
      });
      child.on('close', () => reject(new Error(`cospec exited early: ${stderr}`)));
    });
    const runId = /Run ([0-9a-f-]{36}) queued/.exec(stderr)?.[1];
    child.kill('SIGINT');
    expect(await code).toBe(130);
    const shown = json<{ state: string }>(await cospec(['run', 'show', runId ?? '?', '--json']));
    expect(shown.state).toBe('cancelled');
    const left = execFileSync('podman', ['ps', '-a', '--filter', `label=cospec.run=${runId}`, '--format', '{{.ID}}'], {
      encoding: 'utf8',
      env: { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? '/etc/cospec/containers.conf' },
    });
    expect(left.trim()).toBe('');
    // Cancelling a run that has ended just reports it.
    const again = await cospec(['run', 'cancel', runId ?? '?']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('cancelled');
  }, 180_000);

  it('exits 3 with advice when no container engine answers', async () => {
    const r = await cospec(['run', '--repo', 'acme/web-app', '--task', 'x', '--agent', 'sample'], {
      env: { COSPEC_CONTAINER_SOCKET: join(dataDir, 'nothing-here.sock'), DOCKER_HOST: '' },
    });
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).toMatch(/ENGINE_UNAVAILABLE|Podman|Docker/);
  }, 120_000);

  it('removes an account', async () => {
    const r = await cospec(['accounts', 'remove', accountId]);
    expect(r.code, r.stderr || r.stdout).toBe(0);
    expect(json<unknown[]>(await cospec(['accounts', 'list', '--json']))).toEqual([]);
  }, 60_000);
});
