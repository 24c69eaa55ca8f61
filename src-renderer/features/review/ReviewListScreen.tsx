import { useState } from 'react';
import { ExternalLink, GitMerge, GitPullRequest, RefreshCw } from 'lucide-react';
import type { ReviewListItem } from '../../../src-shared/model/review';
import { useAccounts } from '../../api/accounts';
import { openExternal } from '../../api/app';
import { toUiError } from '../../api/client';
import { useReviewList } from '../../api/review';
import { navigate } from '../../app/navigation';
import { Badge, Button, Card, EmptyState, ErrorBanner, LoadingState, PageHeader, RelativeTime } from '../../components';
import './review-list.css';

function ReviewRow({ item, host }: { item: ReviewListItem; host: string }) {
  const open = () => navigate({ name: 'review', runId: item.runId, mrIid: item.mrIid });
  return (
    <li className="review-row">
      <button
        type="button"
        className="review-row-main"
        onClick={open}
        aria-label={`Review !${item.mrIid} ${item.title}`}
      >
        <GitPullRequest className="review-row-icon" aria-hidden />
        <span className="review-row-text">
          <span className="review-row-title">
            {item.title} <span className="muted">!{item.mrIid}</span>
          </span>
          <span className="review-row-meta muted">
            <span className="mono">{item.projectPath}</span> · <span className="mono">{item.sourceBranch}</span> →{' '}
            <span className="mono">{item.targetBranch}</span> · {host} · updated <RelativeTime iso={item.updatedAt} />
          </span>
        </span>
      </button>
      <span className="review-row-badges">
        {item.pipelineStatus && (
          <Badge
            tone={item.pipelineStatus === 'success' ? 'success' : item.pipelineStatus === 'failed' ? 'danger' : 'info'}
            dot
          >
            pipeline {item.pipelineStatus}
          </Badge>
        )}
        <Button size="sm" variant="ghost" icon={<ExternalLink />} onClick={() => openExternal(item.webUrl)}>
          GitLab
        </Button>
        <Button size="sm" variant="secondary" icon={<GitMerge />} onClick={open}>
          Review
        </Button>
      </span>
    </li>
  );
}

/** Reviews: the open merge requests agent runs created, per account, to review locally. */
export function ReviewListScreen() {
  const accounts = useAccounts();
  const [accountId, setAccountId] = useState('');
  const list = useReviewList(accountId || undefined);
  const hostOf = (id: string) => accounts.data?.find((a) => a.id === id)?.host ?? '';

  return (
    <div className="stack-lg">
      <PageHeader
        icon={<GitMerge />}
        title="Reviews"
        description="Open merge requests your agents created, newest activity first. Review the diff here, comment, approve and merge."
        actions={
          <Button variant="ghost" icon={<RefreshCw />} busy={list.isFetching} onClick={() => void list.refetch()}>
            Refresh
          </Button>
        }
      />
      {(accounts.data?.length ?? 0) > 1 && (
        <label className="reviews-filter">
          <span className="field-label">Account</span>
          <select className="input" value={accountId} onChange={(e) => setAccountId(e.currentTarget.value)}>
            <option value="">All accounts</option>
            {accounts.data?.map((a) => (
              <option key={a.id} value={a.id}>
                {a.username} · {a.host}
              </option>
            ))}
          </select>
        </label>
      )}
      {list.error && <ErrorBanner error={toUiError(list.error)} />}
      {list.isPending ? (
        <LoadingState label="Asking GitLab about the agents’ merge requests" />
      ) : list.data && list.data.length === 0 ? (
        <EmptyState
          icon={<GitMerge />}
          title="Nothing to review"
          actions={
            <Button variant="primary" onClick={() => navigate({ name: 'runs' })}>
              See runs
            </Button>
          }
        >
          When an agent opens a merge request during a run, it shows up here until it is merged or closed.
        </EmptyState>
      ) : (
        <Card>
          <ul className="review-list" aria-label="Merge requests to review">
            {list.data?.map((item) => (
              <ReviewRow
                key={`${item.accountId}:${item.projectPath}!${item.mrIid}`}
                item={item}
                host={hostOf(item.accountId)}
              />
            ))}
          </ul>
        </Card>
      )}
    </div>
  );
}
