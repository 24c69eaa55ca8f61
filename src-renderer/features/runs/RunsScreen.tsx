import { Play, Workflow } from 'lucide-react';
import type { RunRecord } from '../../../src-shared/model/run';
import { useRuns } from '../../api/runs';
import { navigate } from '../../app/navigation';
import { Button, EmptyState, ErrorBanner, LoadingState, PageHeader, cx, formatRelative } from '../../components';
import { RunDetail } from './RunDetail';
import { StateBadge } from './StateBadge';
import './runs.css';

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

function RunListItem({ run, selected }: { run: RunRecord; selected: boolean }) {
  const outputs = run.outputs.length;
  return (
    <li>
      <a
        href={`#/runs/${run.id}`}
        className={cx('run-item', selected && 'run-item-selected')}
        aria-current={selected ? 'page' : undefined}
        data-testid="run-item"
        data-state={run.state}
      >
        <span className="run-item-top">
          <span className="run-item-project mono">{run.spec.projectPath}</span>
          <StateBadge state={run.state} />
        </span>
        <span className="run-item-task">{firstLine(run.spec.task)}</span>
        <span className="run-item-meta">
          {run.spec.agent.kind === 'adapter' ? run.spec.agent.name : 'command'} · {formatRelative(run.createdAt)}
          {outputs > 0 && ` · ${outputs} output${outputs === 1 ? '' : 's'}`}
        </span>
      </a>
    </li>
  );
}

/** Every run, newest first, with the chosen one's details beside the list. */
export function RunsScreen({ runId }: { runId?: string }) {
  const runs = useRuns();
  const selected = runId ?? runs.data?.[0]?.id;
  const newRun = (
    <Button variant="primary" icon={<Play aria-hidden />} onClick={() => navigate('#/repositories')}>
      New run
    </Button>
  );

  return (
    <div className="runs-screen">
      <PageHeader
        title="Runs"
        description="Agents at work in the local sandbox, and what they left on GitLab."
        actions={newRun}
      />
      {runs.error && <ErrorBanner error={runs.error} />}
      {runs.isPending ? (
        <LoadingState label="Loading runs…" />
      ) : runs.data && runs.data.length === 0 ? (
        <EmptyState icon={<Workflow aria-hidden />} title="No runs yet" actions={newRun}>
          Pick a repository, describe a task and an agent works on it in a sandbox whose only way out is the allowlist.
        </EmptyState>
      ) : (
        <div className="runs-layout">
          <nav className="runs-list" aria-label="Runs">
            <ul>
              {runs.data?.map((run) => (
                <RunListItem key={run.id} run={run} selected={run.id === selected} />
              ))}
            </ul>
          </nav>
          <div className="runs-detail">{selected ? <RunDetail key={selected} runId={selected} /> : null}</div>
        </div>
      )}
    </div>
  );
}
