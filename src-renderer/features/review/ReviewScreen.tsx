import { useCallback, useState } from 'react';
import { MessagesSquare } from 'lucide-react';
import type { ViewType } from 'react-diff-view';
import { useComment, useCrossCheck, useDiscussions, useReview, type ReviewTarget } from '../../api/review';
import type { DiffCrossCheck } from '../../../src-shared/model/review';
import { ErrorBanner, LoadingState, Notice, SegmentedControl } from '../../components';
import { AskAgentDialog } from './AskAgentDialog';
import { CheckoutDialog } from './CheckoutDialog';
import { CommentBox } from './CommentBox';
import { DiffList } from './DiffList';
import { MergeDialog } from './MergeDialog';
import { Note } from './Note';
import { ReviewHeader } from './ReviewHeader';
import 'react-diff-view/style/index.css';
import './review.css';
import './highlight/tokens.css';

const VIEW_OPTIONS: Array<{ value: ViewType; label: string }> = [
  { value: 'unified', label: 'Unified' },
  { value: 'split', label: 'Side by side' },
];

function Discussion({ target }: { target: ReviewTarget }) {
  const discussions = useDiscussions(target);
  const comment = useComment(target);
  const notes = discussions.data ?? [];
  return (
    <section className="review-discussion" aria-labelledby="discussion-title">
      <h2 id="discussion-title" className="section-title">
        <MessagesSquare aria-hidden /> Discussion{' '}
        {notes.length > 0 && <span>({notes.filter((n) => !n.system).length})</span>}
      </h2>
      {discussions.error && <ErrorBanner error={discussions.error} title="Comments could not be read" />}
      <div className="review-notes">
        {notes.map((n) => (
          <Note key={n.id} note={n} showPosition />
        ))}
      </div>
      <CommentBox
        placeholder="Write a comment on this merge request"
        submitLabel="Comment"
        busy={comment.isPending}
        error={comment.error}
        onSubmit={(body, done) => comment.mutate({ body }, { onSuccess: done })}
      />
    </section>
  );
}

/** Reviewing one merge request a run opened: its diff, its discussion, approve and merge. */
export function ReviewScreen({ runId, mrIid }: { runId: string; mrIid: number }) {
  const target: ReviewTarget = { runId, mrIid };
  const review = useReview(target);
  const discussions = useDiscussions(target);
  const [viewType, setViewType] = useState<ViewType>('unified');
  const [merging, setMerging] = useState(false);
  const closeMerge = useCallback(() => setMerging(false), []);
  const [checkingOut, setCheckingOut] = useState(false);
  const [asking, setAsking] = useState(false);
  const closeCheckout = useCallback(() => setCheckingOut(false), []);

  if (review.isPending) return <LoadingState label="Computing the diff…" />;
  if (review.error) {
    return (
      <div className="review-screen">
        <a className="review-back" href={`#/runs/${encodeURIComponent(runId)}`}>
          ← Back to the run
        </a>
        <ErrorBanner error={review.error} title={`Merge request !${mrIid} could not be opened`} />
      </div>
    );
  }

  const { summary, diff } = review.data;
  return (
    <div className="review-screen" data-testid="review-screen">
      <ReviewHeader
        target={target}
        summary={summary}
        onMerge={() => setMerging(true)}
        onCheckout={() => setCheckingOut(true)}
        onAskAgent={() => setAsking(true)}
      />

      {summary.description.trim() && <div className="review-description">{summary.description}</div>}

      <CrossCheckNotice target={target} given={diff.crossCheck} />

      <div className="diff-toolbar">
        <span className="diff-stats">
          <strong>{diff.stats.files.toLocaleString()}</strong> {diff.stats.files === 1 ? 'file' : 'files'} changed ·{' '}
          <span className="add">+{diff.stats.additions.toLocaleString()}</span>{' '}
          <span className="del">−{diff.stats.deletions.toLocaleString()}</span>
          <span className="faint">
            {' '}
            · {diff.source === 'local' ? 'computed on this computer' : 'from GitLab'} · {diff.baseSha.slice(0, 8)}…
            {diff.headSha.slice(0, 8)}
          </span>
        </span>
        <SegmentedControl<ViewType>
          label="Diff layout"
          value={viewType}
          options={VIEW_OPTIONS}
          onChange={setViewType}
        />
      </div>

      {diff.files.length === 0 ? (
        <Notice tone="info" title="No changes">
          The source branch has no changes against {summary.targetBranch}.
        </Notice>
      ) : (
        <DiffList
          target={target}
          files={diff.files}
          viewType={viewType}
          notes={discussions.data ?? []}
          canComment={summary.state === 'opened'}
        />
      )}

      <Discussion target={target} />

      {merging && <MergeDialog target={target} summary={summary} onClose={closeMerge} />}
      {asking && <AskAgentDialog target={target} summary={summary} onClose={() => setAsking(false)} />}
      {checkingOut && <CheckoutDialog target={target} summary={summary} onClose={closeCheckout} />}
    </div>
  );
}

/** A warning when the local diff and GitLab's list of changes disagree; compared after the diff shows. */
function CrossCheckNotice({ target, given }: { target: ReviewTarget; given: DiffCrossCheck }) {
  const cross = useCrossCheck(target, given);
  if (!cross?.checked || cross.consistent) return null;
  return (
    <Notice tone="warning" title="GitLab lists different files">
      {cross.note ??
        `Only in the local diff: ${cross.onlyLocal.join(', ') || 'none'}. Only on GitLab: ${cross.onlyGitLab.join(', ') || 'none'}.`}
    </Notice>
  );
}
