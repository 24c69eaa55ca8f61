import { useId, useState, type FormEvent } from 'react';
import './runs.css';
import { Play } from 'lucide-react';
import type { Project } from '../../../src-shared/model/project';
import type { RunSpecInput } from '../../../src-shared/model/run';
import type { AgentInfo } from '../../../src-shared/ipc/services/settings';
import { useAgentChoices, useStartRun } from '../../api/runs';
import { navigate } from '../../app/navigation';
import { Button, Dialog, ErrorBanner, TextArea, TextField } from '../../components';

/** The select's value for "run this command" instead of a known agent. */
const CUSTOM_COMMAND = '__command__';

interface Props {
  project: Project;
  onClose(): void;
}

/** Splits "a.example, *.b.example\nc:443" into destinations; blanks dropped. */
export function parseAllow(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function agentHint(agent: AgentInfo | undefined): string {
  if (!agent)
    return 'Runs with sh -c in the repository folder inside the sandbox; the task text is in $COSPEC_TASK_FILE.';
  if (!agent.allowed) return 'Your organization’s policy does not allow this agent.';
  const needs = [
    agent.modelKeyLabel && `needs an ${agent.modelKeyLabel}`,
    agent.modelDomains.length > 0 && `calls ${agent.modelDomains.join(', ')}`,
  ].filter(Boolean);
  return needs.length
    ? `This agent ${needs.join(' and ')}.`
    : 'Runs without a model: edits, pushes a branch, opens a merge request and files an issue.';
}

/** The run form: which agent, what task, which branch. On success the new run's page opens. */
export function StartRunDialog({ project, onClose }: Props) {
  const formId = useId();
  const agentId = useId();
  const choices = useAgentChoices();
  const agents = choices.data?.list ?? [];
  const [picked, setPicked] = useState<string | undefined>();
  // Until the user picks, the first agent the policy allows.
  const agent =
    picked ?? agents.find((a) => a.allowed)?.name ?? (choices.data?.customCommandsAllowed ? CUSTOM_COMMAND : '');
  const [command, setCommand] = useState('');
  const [task, setTask] = useState('');
  const [branch, setBranch] = useState('');
  const [allow, setAllow] = useState('');
  const start = useStartRun();

  const chosen = agents.find((a) => a.name === agent);
  const ready =
    task.trim() !== '' &&
    agent !== '' &&
    (agent !== CUSTOM_COMMAND || command.trim() !== '') &&
    (chosen?.allowed ?? true);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!ready) return;
    const spec: RunSpecInput = {
      accountId: project.accountId,
      projectPath: project.pathWithNamespace,
      task: task.trim(),
      agent: agent === CUSTOM_COMMAND ? { kind: 'command', command: command.trim() } : { kind: 'adapter', name: agent },
      allow: parseAllow(allow),
      ...(branch.trim() ? { branch: branch.trim() } : {}),
    };
    start.mutate(spec, {
      onSuccess: (record) => {
        onClose();
        navigate(`#/runs/${record.id}`);
      },
    });
  }

  return (
    <Dialog
      open
      wide
      onClose={onClose}
      title="Start a run"
      description={
        <>
          An agent works on <span className="mono">{project.pathWithNamespace}</span> in a local sandbox that can reach
          only the allowlist.
        </>
      }
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            type="submit"
            form={formId}
            variant="primary"
            icon={<Play aria-hidden />}
            busy={start.isPending}
            disabled={!ready}
          >
            Start run
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={submit} className="run-form">
        <div className="field">
          <label className="field-label" htmlFor={agentId}>
            Agent
          </label>
          <select
            id={agentId}
            className="input select"
            value={agent}
            onChange={(e) => setPicked(e.target.value)}
            disabled={choices.isPending}
          >
            {agents.map((a) => (
              <option key={a.name} value={a.name} disabled={!a.allowed}>
                {a.label}
                {a.allowed ? '' : ' (not allowed by policy)'}
              </option>
            ))}
            {choices.data?.customCommandsAllowed && <option value={CUSTOM_COMMAND}>Custom command…</option>}
          </select>
          <span className="field-hint">{choices.isPending ? 'Loading agents…' : agentHint(chosen)}</span>
        </div>

        {agent === CUSTOM_COMMAND && (
          <TextField
            label="Command"
            className="input mono"
            value={command}
            onChange={(e) => setCommand(e.target.value)}
            placeholder="./scripts/agent.sh"
            required
          />
        )}

        <TextArea
          label="Task"
          value={task}
          onChange={(e) => setTask(e.target.value)}
          required
          rows={6}
          maxLength={100_000}
          className="textarea run-form-task"
          placeholder="Describe what the agent should do, as you would in an issue."
        />

        <div className="run-form-row">
          <TextField
            label="Branch"
            value={branch}
            onChange={(e) => setBranch(e.target.value)}
            placeholder={project.defaultBranch ?? 'default branch'}
            hint="Cloned from this branch; the default branch when empty."
          />
          <TextField
            label="Extra allowed destinations"
            value={allow}
            onChange={(e) => setAllow(e.target.value)}
            placeholder="registry.npmjs.org, *.pypi.org"
            hint={`For this run only. ${new URL(project.webUrl).host} is always allowed.`}
          />
        </div>

        {choices.error && <ErrorBanner error={choices.error} title="The list of agents could not be read" />}
        {start.error && <ErrorBanner error={start.error} title="The run could not start" />}
      </form>
    </Dialog>
  );
}
