import { useState, type FormEvent } from 'react';
import { Bot } from 'lucide-react';
import type { MergeRequestSummary } from '../../../src-shared/model/review';
import { useAskAgent, useFollowUpDraft, type ReviewTarget } from '../../api/review';
import { useAgentChoices } from '../../api/runs';
import { navigate } from '../../app/navigation';
import { Button, Dialog, ErrorBanner, LoadingState, Notice, TextArea, TextField } from '../../components';
import { parseAllow } from '../runs/StartRunDialog';
import '../runs/runs.css';

/** The select's value for "the same command the run ran". */
const SAME_COMMAND = '__command__';

/**
 * "Ask the agent to address these comments": a follow-up run on the MR's source branch whose task
 * lists the unresolved threads, with the run's agent and allowlist preset; all three editable. The
 * follow-up may push to that branch (it updates this MR) and nowhere else new.
 */
export function AskAgentDialog({
  target,
  summary,
  onClose,
}: {
  target: ReviewTarget;
  summary: MergeRequestSummary;
  onClose(): void;
}) {
  const draft = useFollowUpDraft(target, true);
  const choices = useAgentChoices();
  const ask = useAskAgent(target);
  // Edited over the draft; null until the user changes a field (the draft shows through).
  const [taskEdit, setTask] = useState<string | null>(null);
  const [agentEdit, setAgent] = useState<string | null>(null);
  const [allowEdit, setAllow] = useState<string | null>(null);
  const task = taskEdit ?? draft.data?.task ?? '';
  const agent =
    agentEdit ?? (draft.data ? (draft.data.agent.kind === 'adapter' ? draft.data.agent.name : SAME_COMMAND) : '');
  const allow = allowEdit ?? draft.data?.allow.join(', ') ?? '';

  const ready = Boolean(draft.data) && task.trim() !== '' && agent !== '';

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!ready || !draft.data) return;
    ask.mutate(
      {
        task: task.trim(),
        agent: agent === SAME_COMMAND ? draft.data.agent : { kind: 'adapter', name: agent },
        allow: parseAllow(allow),
      },
      {
        onSuccess: (run) => {
          onClose();
          navigate(`#/runs/${run.id}`);
        },
      },
    );
  }

  const agents = choices.data?.list ?? [];
  return (
    <Dialog
      open
      onClose={onClose}
      title="Ask the agent to address these comments"
      description={
        <>
          A follow-up run works on <span className="mono">{summary.sourceBranch}</span>: its new commits update !
          {summary.iid}. It may push to that branch and nowhere else new.
        </>
      }
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            type="submit"
            form="ask-agent-form"
            icon={<Bot aria-hidden />}
            busy={ask.isPending}
            disabled={!ready}
            data-testid="confirm-ask-agent"
          >
            Start follow-up run
          </Button>
        </>
      }
    >
      {draft.isPending && <LoadingState label="Reading the unresolved threads…" />}
      {draft.error && <ErrorBanner error={draft.error} title="The threads could not be read" />}
      {draft.data && (
        <form id="ask-agent-form" className="run-form" onSubmit={submit}>
          {draft.data.threads === 0 ? (
            <Notice tone="info" title="No unresolved threads">
              Every thread is resolved. Say in the task what the agent should change.
            </Notice>
          ) : (
            <p className="faint" data-testid="ask-agent-threads">
              {draft.data.threads} unresolved thread{draft.data.threads === 1 ? '' : 's'} (file, line and text) make up
              the task.
            </p>
          )}
          <label className="field">
            <span className="field-label">Agent</span>
            <select className="input select" value={agent} onChange={(e) => setAgent(e.target.value)}>
              {draft.data.agent.kind === 'command' && <option value={SAME_COMMAND}>The run’s command</option>}
              {agents.map((a) => (
                <option key={a.name} value={a.name} disabled={!a.allowed}>
                  {a.label}
                  {a.allowed ? '' : ' (not allowed by policy)'}
                </option>
              ))}
            </select>
          </label>
          <TextArea
            label="Task"
            value={task}
            onChange={(e) => setTask(e.target.value)}
            required
            rows={10}
            maxLength={100_000}
            className="textarea run-form-task mono"
          />
          <TextField
            label="Extra allowed destinations"
            value={allow}
            onChange={(e) => setAllow(e.target.value)}
            hint="The run’s own, preset; for this follow-up only."
          />
        </form>
      )}
      {ask.error && <ErrorBanner error={ask.error} title="The follow-up run did not start" />}
    </Dialog>
  );
}
