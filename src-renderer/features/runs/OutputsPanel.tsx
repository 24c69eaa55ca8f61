import { GitBranch, GitCommitHorizontal, GitPullRequest, CircleDot, Eye } from 'lucide-react';
import type { RunOutput, RunRecord } from '../../../src-shared/model/run';
import { navigate } from '../../app/navigation';
import { Badge, Button, type Tone } from '../../components';
import { ExternalAnchor } from '../../api/ExternalAnchor';

type Of<K extends RunOutput['kind']> = Extract<RunOutput, { kind: K }>;

const TONES: Record<string, Tone> = {
  opened: 'success',
  merged: 'accent',
  closed: 'danger',
  locked: 'neutral',
  created: 'success',
  updated: 'info',
  deleted: 'danger',
  success: 'success',
  failed: 'danger',
  running: 'info',
  pending: 'warning',
  canceled: 'neutral',
};

/** GitLab's state words as badges: open is green, merged purple, closed red, as on GitLab. */
function StatePill({ state, prefix }: { state: string; prefix?: string }) {
  return (
    <span data-state={state}>
      <Badge tone={TONES[state] ?? 'neutral'}>
        {prefix ? `${prefix} ` : ''}
        {state.replace(/_/g, ' ')}
      </Badge>
    </span>
  );
}

function BranchItem({ branch }: { branch: Of<'branch'> }) {
  return (
    <li className="output" data-testid="output-branch">
      <div className="output-head">
        <GitBranch aria-hidden className="output-icon" />
        {branch.webUrl ? (
          <ExternalAnchor href={branch.webUrl} className="mono output-title">
            {branch.name}
          </ExternalAnchor>
        ) : (
          <span className="mono output-title">{branch.name}</span>
        )}
        <StatePill state={branch.change} />
      </div>
      {branch.commits.length > 0 && (
        <ul className="commits">
          {branch.commits.map((c) => (
            <li key={c.sha}>
              <GitCommitHorizontal aria-hidden />
              {c.webUrl ? (
                <ExternalAnchor href={c.webUrl} className="mono commits-sha">
                  {c.sha.slice(0, 8)}
                </ExternalAnchor>
              ) : (
                <span className="mono commits-sha">{c.sha.slice(0, 8)}</span>
              )}
              <span className="commits-title">{c.title}</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}

function MergeRequestItem({ runId, mr }: { runId: string; mr: Of<'merge_request'> }) {
  return (
    <li className="output" data-testid="output-mr">
      <div className="output-head">
        <GitPullRequest aria-hidden className="output-icon" />
        <ExternalAnchor href={mr.webUrl} className="output-title">
          !{mr.iid} {mr.title}
        </ExternalAnchor>
        <StatePill state={mr.state} />
        {mr.change === 'updated' && (
          <span className="faint" data-testid="output-mr-updated">
            updated by this run
          </span>
        )}
        {mr.pipelineStatus && <StatePill state={mr.pipelineStatus} prefix="pipeline" />}
        <span className="spacer" />
        <Button
          size="sm"
          variant="primary"
          icon={<Eye aria-hidden />}
          onClick={() => navigate(`#/review/${runId}/${mr.iid}`)}
        >
          Review
        </Button>
      </div>
      <p className="output-sub mono">
        {mr.sourceBranch} → {mr.targetBranch}
      </p>
    </li>
  );
}

function IssueItem({ issue }: { issue: Of<'issue'> }) {
  return (
    <li className="output" data-testid="output-issue">
      <div className="output-head">
        <CircleDot aria-hidden className="output-icon" />
        <ExternalAnchor href={issue.webUrl} className="output-title">
          #{issue.iid} {issue.title}
        </ExternalAnchor>
        <StatePill state={issue.state} />
      </div>
    </li>
  );
}

/** What the run did on GitLab, found by the app itself: branches with commits, MRs and issues. */
export function OutputsPanel({ run, lastLines }: { run: RunRecord; lastLines: string[] }) {
  const of = <K extends RunOutput['kind']>(kind: K) => run.outputs.filter((o): o is Of<K> => o.kind === kind);
  const branches = of('branch');
  const mrs = of('merge_request');
  const issues = of('issue');

  if (run.outputs.length === 0) {
    return (
      <div className="outputs-empty" data-testid="outputs-empty">
        <p>
          {run.state === 'succeeded' || run.state === 'failed'
            ? 'This run pushed no branches, opened no merge requests and filed no issues.'
            : 'Nothing yet: outputs appear here once the agent has pushed, opened a merge request or filed an issue.'}
        </p>
        {(run.state === 'succeeded' || run.state === 'failed') && lastLines.length > 0 && (
          <>
            <p className="outputs-empty-caption">The agent’s last lines:</p>
            <pre className="outputs-empty-tail">{lastLines.slice(-8).join('\n')}</pre>
          </>
        )}
      </div>
    );
  }

  return (
    <div className="outputs">
      {mrs.length > 0 && (
        <section>
          <h3>Merge requests</h3>
          <ul>
            {mrs.map((mr) => (
              <MergeRequestItem key={mr.iid} runId={run.id} mr={mr} />
            ))}
          </ul>
        </section>
      )}
      {branches.length > 0 && (
        <section>
          <h3>Branches</h3>
          <ul>
            {branches.map((b) => (
              <BranchItem key={b.name} branch={b} />
            ))}
          </ul>
        </section>
      )}
      {issues.length > 0 && (
        <section>
          <h3>Issues</h3>
          <ul>
            {issues.map((i) => (
              <IssueItem key={i.iid} issue={i} />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
