import { describe, expect, it } from 'vitest';
import { AGENT_ADAPTERS, resolveAgent } from '../../../src-main/services/agents/catalog';

describe('agent catalog', () => {
  it('offers the sample agent and adapters for common agent CLIs', () => {
    expect(AGENT_ADAPTERS.map((a) => a.name)).toEqual(['sample', 'claude-code', 'codex', 'aider']);
  });

  it('names the model domains and key of every model-backed adapter', () => {
    for (const adapter of AGENT_ADAPTERS.filter((a) => a.name !== 'sample')) {
      expect(adapter.modelDomains.length, adapter.name).toBeGreaterThan(0);
      expect(adapter.modelKey?.env, adapter.name).toMatch(/^[A-Z_]+$/);
      expect(adapter.install.length, adapter.name).toBeGreaterThan(0);
      expect(adapter.command, adapter.name).toContain('$COSPEC_TASK_FILE');
    }
  });

  it('resolves a custom command with no model domains', () => {
    expect(resolveAgent({ kind: 'command', command: 'make test' })).toEqual({
      name: 'command',
      command: 'make test',
      modelDomains: [],
    });
  });

  it('refuses an unknown adapter with the list of known ones', () => {
    expect(() => resolveAgent({ kind: 'adapter', name: 'nope' })).toThrow(
      /Known agents: sample, claude-code, codex, aider/,
    );
  });
});
