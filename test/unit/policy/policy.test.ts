import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSpec } from '../../../src-shared/model/run';
import {
  PolicyGuard,
  defaultPolicyPath,
  instanceKey,
  resolvePolicyPath,
  loadPolicy,
  type PolicyState,
} from '../../../src-main/services/policy';

function policyFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'cospec-policy-'));
  const path = join(dir, 'policy.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function guardFor(content: unknown): Promise<PolicyGuard> {
  return new PolicyGuard(await loadPolicy(policyFile(content)));
}

describe('policy loading', () => {
  it('uses each OS path, which no environment variable moves', () => {
    expect(defaultPolicyPath('linux', {})).toBe('/etc/cospec/policy.json');
    expect(defaultPolicyPath('darwin', {})).toBe('/Library/Application Support/coSPEC/policy.json');
    // %ProgramData% is the user's to set: the machine path does not follow it.
    expect(defaultPolicyPath('win32', { ProgramData: 'D:\\PD' })).toBe('C:\\ProgramData\\coSPEC\\policy.json');
  });

  it('honours COSPEC_POLICY_PATH only in development, with the flag, and while the machine has no policy', () => {
    const over = { COSPEC_POLICY_PATH: '/tmp/p.json' };
    const dev = { ...over, COSPEC_DEVELOPMENT: '1' };
    const none = () => false;
    const present = (p: string) => p === '/etc/cospec/policy.json';
    expect(resolvePolicyPath({ platform: 'linux', env: dev, exists: none })).toEqual({ path: '/tmp/p.json' });
    const cases: Array<[Parameters<typeof resolvePolicyPath>[0], RegExp]> = [
      [{ platform: 'linux', env: over, exists: none }, /needs COSPEC_DEVELOPMENT=1/],
      [{ platform: 'linux', env: dev, exists: none, packaged: true }, /installed app/],
      [{ platform: 'linux', env: dev, exists: present }, /machine has a policy file/],
      [{ platform: 'linux', env: { ...dev, COSPEC_DEVELOPMENT: 'true' }, exists: none }, /COSPEC_DEVELOPMENT=1/],
    ];
    for (const [opts, why] of cases) {
      const choice = resolvePolicyPath(opts);
      expect(choice.path).toBe('/etc/cospec/policy.json');
      expect(choice.ignoredOverride).toMatch(why);
    }
  });

  it('treats a missing file as no policy', async () => {
    expect(await loadPolicy('/nonexistent/cospec/policy.json')).toEqual({
      status: 'absent',
      path: '/nonexistent/cospec/policy.json',
    });
  });

  it('accepts a complete valid policy', async () => {
    const state = await loadPolicy(
      policyFile({
        version: 1,
        gitlab: {
          instances: [{ url: 'https://gitlab.corp.example', oauthApplicationId: 'app-1' }],
          allowOtherInstances: false,
          allowGitLabCom: false,
        },
        egress: { allow: ['pypi.org', '*.npmjs.org'], allowUserAdditions: false },
        sandbox: {
          image: 'corp/cospec-sandbox:3',
          memoryMb: 4096,
          allowedAgents: ['claude-code'],
          allowCustomCommands: false,
        },
        updates: { enabled: false },
      }),
    );
    expect(state.status).toBe('active');
  });

  it('reports invalid JSON with the parser message', async () => {
    const state = await loadPolicy(policyFile('{ "version": 1, '));
    expect(state).toMatchObject({ status: 'invalid', problems: [expect.stringMatching(/not valid JSON/)] });
  });

  it('reports every schema problem with its path, including unknown keys', async () => {
    const state = await loadPolicy(
      policyFile({ version: 1, egress: { allow: ['ok.example', 'bad host!'], allowUserAdditon: false } }),
    );
    expect(state.status).toBe('invalid');
    const problems = (state as Extract<PolicyState, { status: 'invalid' }>).problems.join('\n');
    expect(problems).toMatch(/egress\.allow\.1/);
    expect(problems).toMatch(/allowUserAdditon/);
  });
});

describe('an invalid policy is never half-applied', () => {
  it('applies none of its settings and blocks guarded actions', async () => {
    const guard = await guardFor({ version: 1, egress: { allow: ['forced.example'] }, sandbox: { image: 42 } });
    expect(guard.egressAllowlist(['user.example']).value).toEqual(['user.example']);
    expect(() => guard.assertUsable()).toThrow(/invalid/);
    expect(() => guard.assertInstanceAllowed('https://gitlab.com')).toThrow(
      expect.objectContaining({ code: 'POLICY_FORBIDS' }),
    );
    expect(() => guard.assertAgentAllowed({ kind: 'command' })).toThrow(
      expect.objectContaining({ code: 'POLICY_FORBIDS' }),
    );
  });
});

describe('policy beats user settings', () => {
  it('restricts GitLab instances to the managed ones', async () => {
    const guard = await guardFor({
      version: 1,
      gitlab: {
        instances: [{ url: 'https://gitlab.corp.example/' }],
        allowOtherInstances: false,
        allowGitLabCom: false,
      },
    });
    expect(() => guard.assertInstanceAllowed('https://GITLAB.corp.example/api/v4')).not.toThrow();
    expect(() => guard.assertInstanceAllowed('https://gitlab.com')).toThrow(/gitlab\.com/);
    expect(() => guard.assertInstanceAllowed('https://other.example')).toThrow(
      /only these GitLab instances: https:\/\/gitlab\.corp\.example/,
    );
  });

  it('provides the admin-registered OAuth application for an instance', async () => {
    const guard = await guardFor({
      version: 1,
      gitlab: { instances: [{ url: 'https://gitlab.corp.example', oauthApplicationId: 'abc' }] },
    });
    expect(guard.oauthApplicationId('https://gitlab.corp.example')).toBe('abc');
    expect(guard.oauthApplicationId('https://gitlab.com')).toBeUndefined();
  });

  it('forces allowlist entries and drops user additions when forbidden', async () => {
    const guard = await guardFor({
      version: 1,
      egress: { allow: ['Registry.corp.example'], allowUserAdditions: false },
    });
    expect(guard.egressAllowlist(['pypi.org'])).toEqual({
      value: ['registry.corp.example'],
      managed: true,
      ignoredUserEntries: ['pypi.org'],
    });
  });

  it('keeps user additions next to forced entries when allowed', async () => {
    const guard = await guardFor({ version: 1, egress: { allow: ['registry.corp.example'] } });
    expect(guard.egressAllowlist(['pypi.org']).value).toEqual(['registry.corp.example', 'pypi.org']);
  });

  it('pins sandbox image and limits over the user and the app default', async () => {
    const guard = await guardFor({ version: 1, sandbox: { image: 'corp/sandbox:7', memoryMb: 2048 } });
    expect(guard.sandboxSetting('image', 'my/image:1', 'cospec/sandbox:latest')).toEqual({
      value: 'corp/sandbox:7',
      managed: true,
    });
    expect(guard.sandboxSetting('memoryMb', 8192, 4096)).toEqual({ value: 2048, managed: true });
    expect(guard.sandboxSetting('cpus', 4, 2)).toEqual({ value: 4, managed: false });
    expect(guard.sandboxSetting('cpus', undefined, 2)).toEqual({ value: 2, managed: false });
  });

  it('limits agents to the approved list and can forbid custom commands', async () => {
    const guard = await guardFor({
      version: 1,
      sandbox: { allowedAgents: ['claude-code'], allowCustomCommands: false },
    });
    expect(() => guard.assertAgentAllowed({ kind: 'adapter', name: 'claude-code' })).not.toThrow();
    expect(() => guard.assertAgentAllowed({ kind: 'adapter', name: 'aider' })).toThrow(/aider/);
    expect(() => guard.assertAgentAllowed({ kind: 'command' })).toThrow(/custom commands/);
  });

  it('turns off updates whatever the user chose', async () => {
    const guard = await guardFor({ version: 1, updates: { enabled: false } });
    expect(guard.updatesEnabled(true)).toEqual({ value: false, managed: true });
    expect(new PolicyGuard({ status: 'absent', path: '/x' }).updatesEnabled(true)).toEqual({
      value: true,
      managed: false,
    });
  });
});

describe('a run’s own options under the policy', () => {
  const spec = (over: Partial<RunSpec> = {}): RunSpec => ({
    accountId: 'a',
    projectPath: 'g/p',
    task: 't',
    agent: { kind: 'adapter', name: 'sample' },
    allow: [],
    ...over,
  });

  it('refuses a time limit above the pinned one, and accepts one at or below it', async () => {
    const guard = await guardFor({ version: 1, sandbox: { timeoutMinutes: 30 } });
    expect(() => guard.assertRunAllowed(spec({ timeoutMinutes: 31 }))).toThrow(/limits runs to 30 minutes/);
    expect(() => guard.assertRunAllowed(spec({ timeoutMinutes: 30 }))).not.toThrow();
    expect(() => guard.assertRunAllowed(spec())).not.toThrow();
  });

  it('refuses extra destinations when additions are off, whatever they are', async () => {
    const guard = await guardFor({ version: 1, egress: { allow: ['pypi.org'], allowUserAdditions: false } });
    expect(() => guard.assertRunAllowed(spec({ allow: ['pypi.org'] }))).toThrow(
      expect.objectContaining({ code: 'POLICY_FORBIDS' }),
    );
  });

  it('refuses loopback, metadata and public-suffix wildcards in any spelling, without a policy too', async () => {
    const guard = new PolicyGuard({ status: 'absent', path: '/nonexistent/policy.json' });
    for (const entry of [
      '127.1',
      '[::ffff:127.0.0.1]:22',
      '0251.0376.0251.0376',
      'LOCALHOST.',
      'metadata.google.internal',
    ])
      expect(() => guard.assertRunAllowed(spec({ allow: [entry] })), entry).toThrow(
        expect.objectContaining({ code: 'POLICY_FORBIDS' }),
      );
    expect(() => guard.assertRunAllowed(spec({ allow: ['*.com'] }))).toThrow(/public suffix/);
    expect(() => guard.assertRunAllowed(spec({ allow: ['pypi.org', '*.pypi.org'] }))).not.toThrow();
  });

  it('opens private destinations only as the policy says', async () => {
    const open = await guardFor({ version: 1, egress: { allow: ['10.0.0.5:5000'], allowPrivateDestinations: true } });
    expect(() => open.assertRunAllowed(spec({ allow: ['10.0.0.9'] }))).not.toThrow();
    expect(open.mayReachPrivate('anything.example')).toBe(true);
    const listed = await guardFor({ version: 1, egress: { allow: ['012.0.0.5:5000'] } });
    expect(listed.mayReachPrivate('10.0.0.5:5000')).toBe(true);
    expect(listed.mayReachPrivate('10.0.0.6:5000')).toBe(false);
    expect(() => listed.assertRunAllowed(spec({ allow: ['10.0.0.6'] }))).toThrow(/policy/);
    const none = new PolicyGuard({ status: 'absent', path: '/nonexistent/policy.json' });
    expect(none.mayReachPrivate('localhost')).toBe(false);
  });

  it('refuses agents and custom commands the policy forbids', async () => {
    const guard = await guardFor({ version: 1, sandbox: { allowedAgents: ['sample'], allowCustomCommands: false } });
    expect(() => guard.assertRunAllowed(spec({ agent: { kind: 'command', command: 'id' } }))).toThrow(
      /custom commands/,
    );
    expect(() => guard.assertRunAllowed(spec({ agent: { kind: 'adapter', name: 'codex' } }))).toThrow(/codex/);
  });

  it('refuses a policy whose allowlist has a public-suffix wildcard', async () => {
    const state = await loadPolicy(policyFile({ version: 1, egress: { allow: ['*.co.uk'] } }));
    expect(state).toMatchObject({ status: 'invalid', problems: [expect.stringMatching(/public suffix/)] });
  });

  it('knows gitlab.com in every spelling', async () => {
    const guard = await guardFor({ version: 1, gitlab: { allowGitLabCom: false, allowOtherInstances: true } });
    for (const url of ['https://gitlab.com', 'https://GitLab.COM.', 'https://gitlab.com.:443/'])
      expect(() => guard.assertInstanceAllowed(url), url).toThrow(/gitlab\.com/);
    expect(instanceKey('https://GitLab.Example.COM./api/v4')).toBe(instanceKey('https://gitlab.example.com'));
  });
});
