import { describe, expect, it } from 'vitest';
import { AGENT_ADAPTERS, resolveAgent } from '../../../src-main/services/agents/catalog';
import { MODEL_KEY_PLACEHOLDER } from '../../../src-main/services/gateway/model-apis';

describe('agent catalog', () => {
  it('offers the sample agent and adapters for common agent CLIs', () => {
    expect(AGENT_ADAPTERS.map((a) => a.name)).toEqual(['sample', 'claude-code', 'codex', 'aider']);
  });

  it('names the model API and key of every model-backed adapter', () => {
    for (const adapter of AGENT_ADAPTERS.filter((a) => a.name !== 'sample')) {
      expect(adapter.modelKey?.api, adapter.name).toMatch(/^(anthropic|openai)$/);
      expect(adapter.modelKey?.secretKey, adapter.name).toBe(`agent:${adapter.name}:key`);
      expect(adapter.install.length, adapter.name).toBeGreaterThan(0);
      expect(adapter.command, adapter.name).toContain('$COSPEC_TASK_FILE');
    }
  });

  it('points every model-backed CLI at the model gateway and gives it no key, only a placeholder', () => {
    const gateway = /^http:\/\/(anthropic|openai)\.model\.cospec\.internal(\/v1)?$/;
    const urlVars = /BASE_URL|API_BASE/;
    for (const adapter of AGENT_ADAPTERS.filter((a) => a.modelKey)) {
      const vars = Object.entries(adapter.env);
      expect(vars.filter(([k]) => urlVars.test(k)).length, adapter.name).toBeGreaterThan(0);
      for (const [name, value] of vars) {
        if (urlVars.test(name)) expect(value, `${adapter.name} ${name}`).toMatch(gateway);
        if (/KEY|TOKEN/.test(name)) expect(value, `${adapter.name} ${name}`).toBe(MODEL_KEY_PLACEHOLDER);
      }
    }
    // Codex takes its provider from the command line (config overrides), Responses API at the gateway.
    const codex = AGENT_ADAPTERS.find((a) => a.name === 'codex');
    expect(codex?.command).toContain(`model_providers.cospec.base_url="http://openai.model.cospec.internal/v1"`);
    expect(codex?.command).toContain('-c model_provider=cospec');
  });

  it('resolves a custom command with no model API and no environment of its own', () => {
    expect(resolveAgent({ kind: 'command', command: 'make test' })).toEqual({
      name: 'command',
      command: 'make test',
      env: {},
    });
  });

  it('refuses an unknown adapter with the list of known ones', () => {
    expect(() => resolveAgent({ kind: 'adapter', name: 'nope' })).toThrow(
      /Known agents: sample, claude-code, codex, aider/,
    );
  });
});
