import { ArrowLeft, Bot, ExternalLink, FolderDown, GitMerge, ThumbsUp, Undo2 } from 'lucide-react';
import type { MergeRequestSummary } from '../../../src-shared/model/review';
import { useApprove, useMergeStatusPolling, useUnapprove, type ReviewTarget } from '../../api/review';
import { Avatar, Badge, Button, ErrorBanner, Notice, RelativeTime, Spinner, type Tone } from '../../components';
import { ExternalAnchor } from '../../api/ExternalAnchor';
import { safeAvatar } from './lines';

const STATE_TONE: Record<MergeRequestSummary['state'], Tone> = {
  opened: 'success',
  merged: 'accent',
  closed: 'danger',
  locked: 'neutral',
};
const PIPELINE_TONE: Record<string, Tone> = {
  success: 'success',
  failed: 'danger',
  running: 'info',
  pending: 'warning',
  canceled: 'neutral',
  skipped: 'neutral',
};

interface Props {
  target: ReviewTarget;
  summary: MergeRequestSummary;
  onMerge(): void;
  onCheckout(): void;
  onAskAgent(): void;
}

/** Title, state, branches, author, pipeline and approvals, with the actions the account may take. */
export function ReviewHeader({ target, summary, onMerge, onCheckout, onAskAgent }: Props) {
  const approve = useApprove(target);
  const unapprove = useUnapprove(target);
  const approvals = summary.approvals;
  const open = summary.state === 'opened';
  const status = summary.mergeStatus;
  // GitLab checks mergeability in the background after a push or a new MR: wait for it, visibly.
  useMergeStatusPolling(target, summary);

  return (
    <header className="review-header">
      <a className="review-back" href={`#/runs/${encodeURIComponent(target.runId)}`}>
        <ArrowLeft aria-hidden /> Back to the run
      </a>
      <div className="review-title-row">
        <h1 className="review-title">
          {summary.title} <span className="faint">!{summary.iid}</span>
        </h1>
        <div className="review-actions">
          <ExternalAnchor href={summary.webUrl} className="btn btn-ghost">
            <ExternalLink aria-hidden /> Open in GitLab
          </ExternalAnchor>
          <Button variant="ghost" icon={<FolderDown aria-hidden />} onClick={onCheckout}>
            Check out…
          </Button>
          {open && (
            <Button icon={<Bot aria-hidden />} onClick={onAskAgent} data-testid="ask-agent">
              Ask the agent to address these comments
            </Button>
          )}
          {open && approvals?.userHasApproved && (
            <Button icon={<Undo2 aria-hidden />} busy={unapprove.isPending} onClick={() => unapprove.mutate(undefined)}>
              Revoke approval
            </Button>
          )}
          {open && approvals && !approvals.userHasApproved && (
            <Button
              icon={<ThumbsUp aria-hidden />}
              busy={approve.isPending}
              disabled={!approvals.userCanApprove}
              title={approvals.userCanApprove ? undefined : 'This account may not approve this merge request'}
              onClick={() => approve.mutate(undefined)}
            >
              Approve
            </Button>
          )}
          {open && (
            <Button
              variant="primary"
              icon={<GitMerge aria-hidden />}
              disabled={!status.canMerge}
              title={status.blockedReason}
              onClick={onMerge}
            >
              Merge
            </Button>
          )}
        </div>
      </div>
      <div className="review-meta">
        <Badge tone={STATE_TONE[summary.state]}>
          {summary.state === 'opened' ? 'Open' : summary.state[0]!.toUpperCase() + summary.state.slice(1)}
        </Badge>
        {summary.draft && <Badge tone="warning">Draft</Badge>}
        <span className="review-branches mono">
          {summary.sourceBranch} <span className="faint">→</span> {summary.targetBranch}
        </span>
        <span className="review-author">
          <Avatar url={safeAvatar(summary.author.avatarUrl)} name={summary.author.name} size={18} />{' '}
          {summary.author.name} opened <RelativeTime iso={summary.createdAt} />
        </span>
        {summary.pipeline &&
          (summary.pipeline.webUrl ? (
            <ExternalAnchor href={summary.pipeline.webUrl} className="review-pipeline">
              <Badge tone={PIPELINE_TONE[summary.pipeline.status] ?? 'neutral'} dot>
                Pipeline {summary.pipeline.status}
              </Badge>
            </ExternalAnchor>
          ) : (
            <Badge tone={PIPELINE_TONE[summary.pipeline.status] ?? 'neutral'} dot>
              Pipeline {summary.pipeline.status}
            </Badge>
          ))}
        {approvals && (
          <Badge tone={approvals.approved ? 'success' : 'neutral'} icon={<ThumbsUp aria-hidden />}>
            {approvals.approvedBy.length} approval{approvals.approvedBy.length === 1 ? '' : 's'}
            {approvals.approvalsLeft > 0 ? ` · ${approvals.approvalsLeft} more needed` : ''}
          </Badge>
        )}
      </div>
      {approve.error && <ErrorBanner error={approve.error} title="The approval was not recorded" />}
      {unapprove.error && <ErrorBanner error={unapprove.error} title="The approval was not revoked" />}
      {open && status.checking && (
        <Notice tone="info" title="Checking whether it can be merged">
          <span className="review-checking" data-testid="merge-checking">
            <Spinner size={14} /> GitLab is checking this merge request; this updates by itself.
          </span>
        </Notice>
      )}
      {open && !status.checking && !status.canMerge && status.blockedReason && (
        <Notice tone={status.hasConflicts ? 'danger' : 'info'} title="Not mergeable yet">
          {status.blockedReason}
        </Notice>
      )}
      {summary.state === 'merged' && (
        <Notice tone="success" title="Merged">
          This merge request has been merged on GitLab.
        </Notice>
      )}
    </header>
  );
}
