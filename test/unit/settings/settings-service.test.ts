import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { loadPolicy, PolicyGuard } from '../../../src-main/services/policy';
import { SANDBOX_DEFAULTS } from '../../../src-main/services/sandbox/limits';
import { createSettingsService, createSettingsStore } from '../../../src-main/services/settings';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function setup(policy?: object) {
  const dir = mkdtempSync(join(tmpdir(), 'cospec-prefs-'));
  dirs.push(dir);
  const policyPath = join(dir, 'policy.json');
  if (policy) writeFileSync(policyPath, JSON.stringify(policy));
  const guard = new PolicyGuard(await loadPolicy(policyPath));
  const settings = createSettingsStore({ dataDir: dir, logger: createLogger({ sinks: [memorySink()] }) });
  const stored = new Map<string, string>();
  const secrets = {
    get: async (k: string) => stored.get(k),
    set: async (k: string, v: string) => void stored.set(k, v),
    delete: async (k: string) => void stored.delete(k),
  };
  return { prefs: createSettingsService({ settings, policy: guard, secrets }), settings, stored };
}

describe('settings under the managed policy', () => {
  it('uses the app defaults and lets the user change everything when there is no policy', async () => {
    const { prefs } = await setup();
    const before = await prefs.handlers.get();
    expect(before.policy.status).toBe('absent');
    expect(before.sandbox.timeoutMinutes).toEqual({ value: SANDBOX_DEFAULTS.timeoutMinutes, managed: false });
    const after = await prefs.handlers.update({
      egressAllow: ['Registry.npmjs.org', 'registry.npmjs.org'],
      timeoutMinutes: 15,
      checkUpdatesAutomatically: false,
    });
    expect(after.egress.user).toEqual(['registry.npmjs.org']);
    expect(after.sandbox.timeoutMinutes).toEqual({ value: 15, managed: false });
    expect(after.updates.checkAutomatically).toEqual({ value: false, managed: false });
    expect(prefs.sandboxLimits().timeoutMinutes).toBe(15);
  });

  it('marks pinned values as managed, applies them over the user’s, and refuses to change them', async () => {
    const { prefs } = await setup({
      version: 1,
      egress: { allow: ['pypi.org'], allowUserAdditions: false },
      sandbox: {
        timeoutMinutes: 30,
        image: 'registry.example.com/agents@sha256:abc',
        allowedAgents: ['sample'],
        allowCustomCommands: false,
      },
      updates: { enabled: false },
    });
    const view = await prefs.handlers.get();
    expect(view.policy.status).toBe('active');
    expect(view.egress).toEqual({ forced: ['pypi.org'], user: [], userAdditionsAllowed: false });
    expect(view.sandbox.timeoutMinutes).toEqual({ value: 30, managed: true });
    expect(view.sandbox.image).toEqual({ value: 'registry.example.com/agents@sha256:abc', managed: true });
    expect(view.updates.checkAutomatically).toEqual({ value: false, managed: true });
    expect(view.agents.customCommandsAllowed).toBe(false);
    expect(view.agents.list.filter((a) => a.allowed).map((a) => a.name)).toEqual(['sample']);

    await expect(prefs.handlers.update({ timeoutMinutes: 90 })).rejects.toMatchObject({ code: 'POLICY_FORBIDS' });
    await expect(prefs.handlers.update({ egressAllow: ['evil.example'] })).rejects.toMatchObject({
      code: 'POLICY_FORBIDS',
    });
    await expect(prefs.handlers.update({ checkUpdatesAutomatically: true })).rejects.toMatchObject({
      code: 'POLICY_FORBIDS',
    });
    expect(prefs.sandboxLimits()).toMatchObject({ timeoutMinutes: 30, imagePinned: true });
  });

  it('keeps an agent’s model key in the secret store and reports only that it is there', async () => {
    const { prefs, stored } = await setup();
    const view = await prefs.handlers.setAgentKey({ agent: 'claude-code', key: 'sk-ant-test-0123456789' });
    expect(view.agents.list.find((a) => a.name === 'claude-code')).toMatchObject({
      hasKey: true,
      modelKeyLabel: 'Anthropic API key',
    });
    expect(JSON.stringify(view)).not.toContain('sk-ant-test');
    expect(stored.get('agent:claude-code:key')).toBe('sk-ant-test-0123456789');
    await prefs.handlers.setAgentKey({ agent: 'claude-code', key: null });
    expect(stored.size).toBe(0);
    await expect(prefs.handlers.setAgentKey({ agent: 'sample', key: 'whatever-123' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
  });

  it('reports an invalid policy with its problems', async () => {
    const { prefs } = await setup({ version: 1, egress: { alow: [] } });
    const view = await prefs.handlers.get();
    expect(view.policy.status).toBe('invalid');
    expect(view.policy.problems.join('\n')).toMatch(/alow/);
  });
});

describe('what agents may push, under the policy', () => {
  it('defaults to cospec/ without ci.skip, and lets the user change both', async () => {
    const { prefs } = await setup();
    expect((await prefs.handlers.get()).pushes).toEqual({
      branchPrefix: { value: 'cospec/', managed: false },
      ciSkip: { value: false, managed: false },
    });
    const after = await prefs.handlers.update({ branchPrefix: 'agents/', ciSkip: true });
    expect(after.pushes.branchPrefix).toEqual({ value: 'agents/', managed: false });
    expect(prefs.pushRules()).toEqual({ prefix: 'agents/', ciSkip: true });
  });

  it('applies the pinned prefix and ci.skip over the user’s and refuses to change them', async () => {
    const { prefs, settings } = await setup({ version: 1, pushes: { branchPrefix: 'bots/cospec/', ciSkip: true } });
    settings.write('runs', { egressAllow: [], timeoutMinutes: 60, branchPrefix: 'mine/', ciSkip: false });
    const view = await prefs.handlers.get();
    expect(view.pushes).toEqual({
      branchPrefix: { value: 'bots/cospec/', managed: true },
      ciSkip: { value: true, managed: true },
    });
    expect(prefs.pushRules()).toEqual({ prefix: 'bots/cospec/', ciSkip: true });
    await expect(prefs.handlers.update({ ciSkip: false })).rejects.toMatchObject({ code: 'POLICY_FORBIDS' });
    await expect(prefs.handlers.update({ branchPrefix: 'x/' })).rejects.toMatchObject({ code: 'POLICY_FORBIDS' });
  });

  it('refuses a policy whose prefix would open every branch', async () => {
    for (const branchPrefix of ['', '/', 'cospec', '../', 'a b/']) {
      const { prefs } = await setup({ version: 1, pushes: { branchPrefix } });
      expect((await prefs.handlers.get()).policy.status).toBe('invalid');
    }
  });
});
