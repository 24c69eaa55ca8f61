import { CospecError } from '../../../src-shared/ipc/errors';
import type { AgentChoice, ModelApi } from '../../../src-shared/model/run';
import { MODEL_APIS, MODEL_KEY_PLACEHOLDER, sandboxBaseUrl } from '../gateway/model-apis';
import { NODE_RUNTIME_STEP, npmGlobalInstallStep, pipxInstallStep, PYTHON_RUNTIME_STEP } from './install-steps';

/**
 * What the app knows about each agent it can run. An adapter names how its CLI gets into the
 * sandbox image, the model API it calls and the key that API needs. The key stays in secure
 * storage: the CLI is pointed at the run's model gateway (a plain-HTTP base URL on a reserved
 * name, served by the egress proxy outside the container), which adds the key to each call, and
 * the container holds at most a placeholder where a CLI insists on a key variable.
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
  /** The model API the CLI calls (through the model gateway) and the secret-store key its key is kept under. */
  modelKey?: { api: ModelApi; secretKey: string; label: string };
  /** Environment pointing the CLI at the model gateway: base URL, placeholder key, no side traffic. */
  env: Record<string, string>;
}

/** The codex provider coSPEC defines on its command line: the run's model gateway, Responses API. */
const CODEX_PROVIDER_FLAGS = [
  `-c model_provider=cospec`,
  `-c 'model_providers.cospec.name="coSPEC model gateway"'`,
  `-c 'model_providers.cospec.base_url="${sandboxBaseUrl('openai')}/v1"'`,
  `-c model_providers.cospec.env_key=OPENAI_API_KEY`,
  `-c model_providers.cospec.wire_api=responses`,
].join(' ');

/** Shell prefix giving codex a TMPDIR that does not contain HOME (see the codex adapter). */
export const CODEX_TMPDIR_PREFIX = 'export TMPDIR=/tmp/codex-tmp; mkdir -p "$TMPDIR";';

export const AGENT_ADAPTERS: readonly AgentAdapter[] = [
  {
    name: 'sample',
    label: 'Sample agent (no model)',
    install: [],
    // Shipped with the app and mounted read-only: edits, commits, pushes a branch, opens an MR, files an issue.
    command: 'sh /opt/cospec/agents/sample-agent.sh',
    env: {},
  },
  {
    name: 'claude-code',
    label: 'Claude Code',
    install: [NODE_RUNTIME_STEP, npmGlobalInstallStep('@anthropic-ai/claude-code', '2.1.332', 'claude')],
    command:
      'claude -p "$(cat "$COSPEC_TASK_FILE")" --permission-mode acceptEdits --output-format stream-json --verbose',
    modelKey: { api: 'anthropic', secretKey: 'agent:claude-code:key', label: 'Anthropic API key' },
    // ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY: code.claude.com/docs/en/env-vars (the key goes out as
    // x-api-key, which the gateway replaces). Telemetry and update checks would only be denied.
    env: {
      ANTHROPIC_BASE_URL: sandboxBaseUrl('anthropic'),
      ANTHROPIC_API_KEY: MODEL_KEY_PLACEHOLDER,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    },
  },
  {
    name: 'codex',
    label: 'Codex CLI',
    install: [NODE_RUNTIME_STEP, npmGlobalInstallStep('@openai/codex', '0.169.0', 'codex')],
    // Codex refuses to put its helper binaries in $HOME/.codex while HOME is under the temp dir (/tmp,
    // the only writable place on the read-only root); a temp dir of its own beside HOME satisfies it.
    // A provider of its own (config `model_providers`, given with -c): base_url gets /responses
    // appended, the Bearer key comes from env_key (a placeholder the gateway replaces).
    // The run's container is the sandbox (codex exec 0.169 has no --full-auto; its own bubblewrap and
    // landlock sandbox cannot start without the capabilities the container drops), hence the bypass.
    command: `${CODEX_TMPDIR_PREFIX} codex exec ${CODEX_PROVIDER_FLAGS} --dangerously-bypass-approvals-and-sandbox "$(cat "$COSPEC_TASK_FILE")"`,
    modelKey: { api: 'openai', secretKey: 'agent:codex:key', label: 'OpenAI API key' },
    env: { OPENAI_API_KEY: MODEL_KEY_PLACEHOLDER, OPENAI_BASE_URL: `${sandboxBaseUrl('openai')}/v1` },
  },
  {
    name: 'aider',
    label: 'aider',
    // aider-chat supports Python >=3.9,<3.13; bookworm has 3.11. Needs PyPI at build time.
    install: [PYTHON_RUNTIME_STEP, pipxInstallStep('aider-chat', '0.86.1', 'aider')],
    command: 'aider --yes-always --no-check-update --analytics-disable --message-file "$COSPEC_TASK_FILE"',
    modelKey: { api: 'anthropic', secretKey: 'agent:aider:key', label: 'Anthropic API key' },
    // aider calls Anthropic through litellm, which reads its base URL from ANTHROPIC_API_BASE
    // (ANTHROPIC_BASE_URL in newer releases) and appends /v1/messages.
    env: {
      ANTHROPIC_API_KEY: MODEL_KEY_PLACEHOLDER,
      ANTHROPIC_API_BASE: sandboxBaseUrl('anthropic'),
      ANTHROPIC_BASE_URL: sandboxBaseUrl('anthropic'),
    },
  },
];

export interface ResolvedAgent {
  /** The adapter name, or "command" for a custom command. */
  name: string;
  command: string;
  modelKey?: AgentAdapter['modelKey'];
  env: Record<string, string>;
}

/** The host an adapter's model calls finally reach (for display; the agent itself never reaches it). */
export function modelHostOf(adapter: Pick<AgentAdapter, 'modelKey'>): string[] {
  return adapter.modelKey ? [new URL(MODEL_APIS[adapter.modelKey.api].upstream).host] : [];
}

/** The concrete command and needs of a run's agent choice; unknown adapter names are refused. */
export function resolveAgent(choice: AgentChoice): ResolvedAgent {
  if (choice.kind === 'command') return { name: 'command', command: choice.command, env: {} };
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
    env: adapter.env,
    ...(adapter.modelKey ? { modelKey: adapter.modelKey } : {}),
  };
}
