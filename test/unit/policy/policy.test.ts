import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyGuard, defaultPolicyPath, loadPolicy, type PolicyState } from '../../../src-main/services/policy';

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
  it('uses each OS path and lets COSPEC_POLICY_PATH override it', () => {
    expect(defaultPolicyPath('linux', {})).toBe('/etc/cospec/policy.json');
    expect(defaultPolicyPath('darwin', {})).toBe('/Library/Application Support/coSPEC/policy.json');
    expect(defaultPolicyPath('win32', { ProgramData: 'D:\\PD' })).toMatch(/^D:\\PD.coSPEC.policy\.json$/);
    expect(defaultPolicyPath('linux', { COSPEC_POLICY_PATH: '/tmp/p.json' })).toBe('/tmp/p.json');
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
