import { CospecError } from '../../../src-shared/ipc/errors';
import type { AgentChoice } from '../../../src-shared/model/run';
import { NODE_RUNTIME_STEP, npmGlobalInstallStep, pipxInstallStep, PYTHON_RUNTIME_STEP } from './install-steps';

/**
 * What the app knows about each agent it can run. An adapter names how its CLI gets into the
 * sandbox image, the model API domains it must reach (joined to that run's allowlist), and the
 * model key it needs (kept in secure storage, handed to that run's container only).
 */
export interface AgentAdapter {
  name: string;
  label: string;
  /**
   * Shell lines run at image build time (as root) to install the CLI, added to the sandbox image.
   * Pinned (see install-steps.ts): the image is cached by a hash of these lines. Lines shared by
   * several adapters (a runtime) are written once.
   */
  install: string[];
  /** The command run in /workspace; $COSPEC_TASK_FILE holds the task text. */
  command: string;
  /** Domains the agent's model API lives on. */
  modelDomains: string[];
  /** The environment variable the CLI reads its key from, and the secret-store key it is kept under. */
  modelKey?: { env: string; secretKey: string; label: string };
}

/** Shell prefix giving codex a TMPDIR that does not contain HOME (see the codex adapter). */
export const CODEX_TMPDIR_PREFIX = 'export TMPDIR=/tmp/codex-tmp; mkdir -p "$TMPDIR";';

export const AGENT_ADAPTERS: readonly AgentAdapter[] = [
  {
    name: 'sample',
    label: 'Sample agent (no model)',
    install: [],
    // Shipped with the app and mounted read-only: edits, commits, pushes a branch, opens an MR, files an issue.
    command: 'sh /opt/cospec/agents/sample-agent.sh',
    modelDomains: [],
  },
  {
    name: 'claude-code',
    label: 'Claude Code',
    install: [NODE_RUNTIME_STEP, npmGlobalInstallStep('@anthropic-ai/claude-code', '2.1.332', 'claude')],
    command:
      'claude -p "$(cat "$COSPEC_TASK_FILE")" --permission-mode acceptEdits --output-format stream-json --verbose',
    modelDomains: ['api.anthropic.com'],
    modelKey: { env: 'ANTHROPIC_API_KEY', secretKey: 'agent:claude-code:key', label: 'Anthropic API key' },
  },
  {
    name: 'codex',
    label: 'Codex CLI',
    install: [NODE_RUNTIME_STEP, npmGlobalInstallStep('@openai/codex', '0.169.0', 'codex')],
    // Codex refuses to put its helper binaries in $HOME/.codex while HOME is under the temp dir (/tmp,
    // the only writable place on the read-only root); a temp dir of its own beside HOME satisfies it.
    command: `${CODEX_TMPDIR_PREFIX} codex exec --full-auto "$(cat "$COSPEC_TASK_FILE")"`,
    modelDomains: ['api.openai.com'],
    modelKey: { env: 'OPENAI_API_KEY', secretKey: 'agent:codex:key', label: 'OpenAI API key' },
  },
  {
    name: 'aider',
    label: 'aider',
    // aider-chat supports Python >=3.9,<3.13; bookworm has 3.11. Needs PyPI at build time.
    install: [PYTHON_RUNTIME_STEP, pipxInstallStep('aider-chat', '0.86.1', 'aider')],
    command: 'aider --yes-always --message-file "$COSPEC_TASK_FILE"',
    modelDomains: ['api.anthropic.com', 'api.openai.com'],
    modelKey: { env: 'ANTHROPIC_API_KEY', secretKey: 'agent:aider:key', label: 'Anthropic API key' },
  },
];

export interface ResolvedAgent {
  /** The adapter name, or "command" for a custom command. */
  name: string;
  command: string;
  modelDomains: string[];
  modelKey?: AgentAdapter['modelKey'];
}

/** The concrete command and needs of a run's agent choice; unknown adapter names are refused. */
export function resolveAgent(choice: AgentChoice): ResolvedAgent {
  if (choice.kind === 'command') return { name: 'command', command: choice.command, modelDomains: [] };
  const adapter = AGENT_ADAPTERS.find((a) => a.name === choice.name);
  if (!adapter) {
    throw new CospecError(
      'INVALID_INPUT',
      `Unknown agent "${choice.name}". Known agents: ${AGENT_ADAPTERS.map((a) => a.name).join(', ')}.`,
    );
  }
  return {
    name: adapter.name,
    command: adapter.command,
    modelDomains: adapter.modelDomains,
    ...(adapter.modelKey ? { modelKey: adapter.modelKey } : {}),
  };
}
