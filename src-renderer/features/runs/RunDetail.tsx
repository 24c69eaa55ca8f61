import { useEffect, useState } from 'react';
import { Cpu, ExternalLink, Network, Package, RefreshCw, ScrollText, ShieldAlert, Square } from 'lucide-react';
import { TERMINAL_RUN_STATES, type RunRecord } from '../../../src-shared/model/run';
import { useCancelRun, useRefreshOutputs, useRun, useRunLog, useRuns } from '../../api/runs';
import { Button, Card, CardBody, CardHeader, ErrorBanner, LoadingState, formatRelative } from '../../components';
import { EgressPanel } from './EgressPanel';
import { RefusalsPanel } from './RefusalsPanel';
import { ExternalAnchor } from '../../api/ExternalAnchor';
import { LogView } from './LogView';
import { ModelUsagePanel } from './ModelUsagePanel';
import { OutputsPanel } from './OutputsPanel';
import { RunTimeline } from './RunTimeline';
import { StateBadge } from './StateBadge';
import { duration } from './format';

/** How often an open, ended run re-reads its MRs and issues from GitLab (they move on after the run). */
const OUTPUT_REFRESH_MS = 60_000;

/** "Continues run N" / "Continued by run M": the follow-ups a review started, both ways. */
function Lineage({ run }: { run: RunRecord }) {
  const runs = useRuns();
  const children = (runs.data ?? []).filter((r) => r.spec.continues === run.id);
  if (!run.spec.continues && children.length === 0) return null;
  return (
    <p className="run-lineage faint" data-testid="run-lineage">
      {run.spec.continues && (
        <span>
          Continues run{' '}
          <a href={`#/runs/${encodeURIComponent(run.spec.continues)}`}>{run.spec.continues.slice(0, 8)}</a>
          {run.spec.branch ? (
            <>
              {' '}
              on <span className="mono">{run.spec.branch}</span>
            </>
          ) : null}
          {children.length ? ' · ' : ''}
        </span>
      )}
      {children.length > 0 && (
        <span>
          Continued by run{' '}
          {children.map((c, i) => (
            <span key={c.id}>
              {i ? ', ' : ''}
              <a href={`#/runs/${encodeURIComponent(c.id)}`}>{c.id.slice(0, 8)}</a>
            </span>
          ))}
        </span>
      )}
    </p>
  );
}

function agentName(run: RunRecord): string {
  return run.spec.agent.kind === 'adapter' ? run.spec.agent.name : 'custom command';
}

/** The current time, ticking each second while a run is live (its duration grows). */
function useNow(live: boolean): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(timer);
  }, [live]);
  return now;
}

/** One run: where it is, what it printed, where it tried to connect, and what it left on GitLab. */
export function RunDetail({ runId }: { runId: string }) {
  const run = useRun(runId);
  const log = useRunLog(runId);
  const cancel = useCancelRun();
  const refreshOutputs = useRefreshOutputs();
  const record = run.data;
  const ended = record ? TERMINAL_RUN_STATES.includes(record.state) : false;
  const now = useNow(Boolean(record) && !ended);
  const hasGitLabOutputs = record?.outputs.some((o) => o.kind !== 'branch') ?? false;
  const { mutate: refreshMutate } = refreshOutputs;

  useEffect(() => {
    if (!ended || !hasGitLabOutputs) return;
    const timer = setInterval(() => refreshMutate(runId), OUTPUT_REFRESH_MS);
    return () => clearInterval(timer);
  }, [ended, hasGitLabOutputs, runId, refreshMutate]);

  if (run.error) return <ErrorBanner error={run.error} title="This run could not be read" />;
  if (!record) return <LoadingState label="Loading run…" />;

  const failed = record.state === 'failed' || record.state === 'interrupted';

  return (
    <article className="run-detail" data-testid="run-detail" data-state={record.state}>
      <header className="run-detail-header">
        <div className="run-detail-heading">
          <div className="row">
            <h2 className="mono run-detail-project">{record.spec.projectPath}</h2>
            <StateBadge state={record.state} />
          </div>
          <p className="run-detail-meta">
            <span>{agentName(record)}</span>
            {record.spec.branch && <span className="mono">{record.spec.branch}</span>}
            <span title={new Date(record.createdAt).toLocaleString()}>
              started {formatRelative(record.createdAt, now)}
            </span>
            <span>
              {ended ? 'took' : 'running for'} {duration(record.createdAt, record.endedAt ?? now.toISOString())}
            </span>
            {record.exitCode !== undefined && <span>exit code {record.exitCode}</span>}
          </p>
        </div>
        <div className="row">
          {record.projectWebUrl && (
            <ExternalAnchor href={record.projectWebUrl} className="btn btn-ghost btn-sm">
              <ExternalLink aria-hidden /> Project
            </ExternalAnchor>
          )}
          {!ended && (
            <Button
              size="sm"
              variant="danger"
              icon={<Square aria-hidden />}
              busy={cancel.isPending}
              onClick={() => cancel.mutate(record.id)}
            >
              {cancel.isPending ? 'Cancelling…' : 'Cancel run'}
            </Button>
          )}
        </div>
      </header>

      <RunTimeline run={record} />

      {record.detail && (
        <div className={`run-status ${failed ? 'run-status-error' : ''}`} role="status" data-testid="run-status">
          <span className="run-status-text">{record.detail}</span>
          {record.progress !== undefined && !ended && (
            <progress max={100} value={record.progress} aria-label="Progress">
              {record.progress}%
            </progress>
          )}
        </div>
      )}
      {cancel.error && <ErrorBanner error={cancel.error} title="The run could not be cancelled" />}

      <Lineage run={record} />

      <blockquote className="run-task" aria-label="Task">
        {record.spec.task}
      </blockquote>

      <Card>
        <CardHeader
          icon={<Package aria-hidden className="card-icon" />}
          title={`Outputs${record.outputs.length ? ` (${record.outputs.length})` : ''}`}
          description="Found by the app from what the agent pushed and opened, checked against GitLab."
          actions={
            ended && (
              <Button
                size="sm"
                variant="ghost"
                icon={<RefreshCw aria-hidden />}
                busy={refreshOutputs.isPending}
                onClick={() => refreshMutate(record.id)}
              >
                Refresh
              </Button>
            )
          }
        />
        <CardBody>
          {refreshOutputs.error && <ErrorBanner error={refreshOutputs.error} title="Outputs could not be refreshed" />}
          <OutputsPanel run={record} lastLines={log.lines} />
        </CardBody>
      </Card>

      <Card>
        <CardHeader
          icon={<ScrollText aria-hidden className="card-icon" />}
          title="Agent output"
          description={`${log.lines.length.toLocaleString()} ${log.lines.length === 1 ? 'line' : 'lines'}${ended ? '' : ', live'}`}
        />
        {log.error && <ErrorBanner error={log.error} title="The log could not be read" />}
        <LogView
          lines={log.lines}
          live={!ended}
          emptyText={
            log.loading ? 'Loading…' : ended ? 'The agent printed nothing.' : 'Waiting for the agent’s first line…'
          }
        />
      </Card>

      {record.modelUsage && (
        <Card>
          <CardHeader
            icon={<Cpu aria-hidden className="card-icon" />}
            title="Model calls"
            description="As the model API reported them to coSPEC's model gateway, which added the key outside the sandbox."
          />
          <CardBody>
            <ModelUsagePanel usage={record.modelUsage} />
          </CardBody>
        </Card>
      )}

      <Card>
        <CardHeader
          icon={<Network aria-hidden className="card-icon" />}
          title="Network"
          description="Every connection the sandbox attempted, with the allowlist's verdict."
        />
        <CardBody>
          <EgressPanel run={record} />
        </CardBody>
      </Card>

      {record.refusals.length > 0 && (
        <Card>
          <CardHeader
            icon={<ShieldAlert aria-hidden className="card-icon" />}
            title="Refused by the gateway"
            description="What the agent tried on GitLab that coSPEC's credential gateway did not let through, with the reason it was given."
          />
          <CardBody>
            <RefusalsPanel refusals={record.refusals} />
          </CardBody>
        </Card>
      )}
    </article>
  );
}
