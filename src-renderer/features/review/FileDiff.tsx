import { memo, useMemo, useState, type ReactNode } from 'react';
import { Diff, Hunk, getChangeKey, type ChangeData, type HunkData, type ViewType } from 'react-diff-view';
import { ChevronDown, ChevronRight, FileMinus, FilePen, FilePlus, FileSymlink } from 'lucide-react';
import type { ReviewFile, ReviewNote } from '../../../src-shared/model/review';
import { useComment, useDeferredFile, useFileDiff, type ReviewTarget } from '../../api/review';
import { Button, LoadingState, ErrorBanner } from '../../components';
import { CommentBox } from './CommentBox';
import { useDiffTokens } from './highlight/useDiffTokens';
import { Note } from './Note';
import { displayPath, notesByChange, pathOf, positionOf, rowCount } from './lines';

/** Files with more rows than this start collapsed; the user opens them on purpose. */
export const COLLAPSE_ROWS = 400;

const ICONS = { add: FilePlus, delete: FileMinus, modify: FilePen, rename: FileSymlink, copy: FileSymlink } as const;

interface Props {
  target: ReviewTarget;
  file: ReviewFile;
  viewType: ViewType;
  notes: readonly ReviewNote[];
  canComment: boolean;
}

/** Row height of the diff table (review.css .diff-line), for a placeholder of the same size. */
const LINE_PX = 20;

const Hunks = memo(function Hunks({ target, file, viewType, notes, canComment }: Props) {
  const hunks = file.hunks as HunkData[];
  // Syntax colours and word-level edit marks arrive after the first paint, computed while idle.
  const tokens = useDiffTokens(hunks, file.newPath);
  const [draft, setDraft] = useState<ChangeData | null>(null);
  const comment = useComment(target);
  const byChange = useMemo(() => notesByChange(file, notes), [file, notes]);

  const widgets = useMemo(() => {
    const result: Record<string, ReactNode> = {};
    for (const [key, list] of byChange) {
      result[key] = (
        <div className="line-notes">
          {list.map((n) => (
            <Note key={n.id} note={n} />
          ))}
        </div>
      );
    }
    if (draft) {
      const key = getChangeKey(draft);
      result[key] = (
        <div className="line-notes">
          {byChange.get(key)?.map((n) => (
            <Note key={n.id} note={n} />
          ))}
          <CommentBox
            autoFocus
            placeholder="Comment on this line"
            submitLabel="Comment"
            busy={comment.isPending}
            error={comment.error}
            onCancel={() => setDraft(null)}
            onSubmit={(body, done) =>
              comment.mutate(
                { body, position: positionOf(file, draft) },
                {
                  onSuccess: () => {
                    done();
                    setDraft(null);
                  },
                },
              )
            }
          />
        </div>
      );
    }
    return result;
  }, [byChange, draft, comment, file]);

  return (
    <Diff
      viewType={viewType}
      diffType={file.type}
      hunks={hunks}
      tokens={tokens}
      widgets={widgets}
      optimizeSelection
      gutterEvents={canComment ? { onClick: ({ change }) => change && setDraft(change) } : {}}
      renderGutter={({ change, renderDefault, inHoverState }) =>
        canComment && inHoverState && !(draft && getChangeKey(draft) === getChangeKey(change)) ? (
          <span className="gutter-comment" title="Comment on this line">
            +
          </span>
        ) : (
          renderDefault()
        )
      }
    >
      {(list) => list.map((hunk) => <Hunk key={hunk.content} hunk={hunk} />)}
    </Diff>
  );
});

/** A too-large file's hunks arrive only when asked for. */
function LazyHunks(props: Props) {
  const full = useFileDiff(props.target, pathOf(props.file), true);
  if (full.isPending) return <LoadingState label="Loading the diff…" />;
  if (full.error) return <ErrorBanner error={full.error} title="This file’s diff could not be loaded" />;
  return <Hunks {...props} file={full.data} />;
}

/**
 * A file get() deferred: a placeholder of its size until it has settled in view, then its hunks,
 * fetched in one batch with the other deferred files in view, rendered and highlighted like the others.
 */
function DeferredHunks({ settled, rows, ...props }: Props & { settled: boolean; rows: number }) {
  const { file } = props;
  const version = `${file.oldRevision}..${file.newRevision} +${file.additions} -${file.deletions}`;
  const full = useDeferredFile(props.target, pathOf(file), version, settled);
  if (full.error) return <ErrorBanner error={full.error} title="This file’s diff could not be loaded" />;
  if (!full.data)
    return (
      <div
        className="file-diff-placeholder"
        style={{ height: rows * LINE_PX }}
        aria-busy="true"
        data-testid="deferred-placeholder"
      />
    );
  if (full.data.tooLarge) return <p className="file-diff-note">Too large to show here.</p>;
  if (full.data.hunks.length === 0)
    return <p className="file-diff-note">No content changes{full.data.type === 'rename' ? ' (renamed only)' : ''}.</p>;
  return <Hunks {...props} file={full.data} />;
}

/**
 * One changed file: a header with its path and counts, then its hunks (or why they are hidden).
 * A file that comes into view while the list is being scrolled shows a placeholder of its size
 * until the scrolling stops: rendering the diff tables a fast scroll flies past would cost frames.
 */
export const FileDiff = memo(function FileDiff({ scrolling, ...props }: Props & { scrolling: boolean }) {
  const { file, notes } = props;
  const [settled, setSettled] = useState(!scrolling);
  if (!settled && !scrolling) setSettled(true); // derived once: a shown diff never goes back to a placeholder
  const rows = rowCount(file);
  const big = file.tooLarge || rows > COLLAPSE_ROWS;
  const [open, setOpen] = useState(!big);
  const Icon = ICONS[file.type];
  const commentCount = notes.filter(
    (n) => n.position && (n.position.path === file.newPath || n.position.path === file.oldPath),
  ).length;

  let body: ReactNode;
  if (file.isBinary) body = <p className="file-diff-note">Binary file; not shown.</p>;
  else if (!open && !big) body = null;
  else if (!open)
    body = (
      <div className="file-diff-note">
        <span>
          {file.tooLarge ? 'Large diff' : `${rows.toLocaleString()} lines`} collapsed to keep the review fast.
        </span>
        <Button size="sm" onClick={() => setOpen(true)}>
          Show diff
        </Button>
      </div>
    );
  else if (file.tooLarge) body = <LazyHunks {...props} />;
  else if (file.deferred) body = <DeferredHunks {...props} settled={settled} rows={rows} />;
  else if (file.hunks.length === 0)
    body = <p className="file-diff-note">No content changes{file.type === 'rename' ? ' (renamed only)' : ''}.</p>;
  else if (!settled)
    body = <div className="file-diff-placeholder" style={{ height: rows * LINE_PX }} aria-busy="true" />;
  else body = <Hunks {...props} />;

  return (
    <section className="file-diff" data-testid="file-diff" data-path={file.newPath}>
      <header className="file-diff-header">
        <button
          type="button"
          className="file-diff-toggle"
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
          aria-label={open ? 'Collapse file' : 'Expand file'}
        >
          {open ? <ChevronDown aria-hidden /> : <ChevronRight aria-hidden />}
        </button>
        <Icon aria-hidden className={`file-icon file-icon-${file.type}`} />
        <span className="file-diff-path mono">{displayPath(file)}</span>
        {commentCount > 0 && (
          <span className="file-diff-comments">
            {commentCount} comment{commentCount === 1 ? '' : 's'}
          </span>
        )}
        <span className="file-diff-stats">
          <span className="add">+{file.additions}</span> <span className="del">−{file.deletions}</span>
        </span>
      </header>
      {body}
    </section>
  );
});
