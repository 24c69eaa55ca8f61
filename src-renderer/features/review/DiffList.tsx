import { useCallback, useEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { ViewType } from 'react-diff-view';
import type { ReviewFile, ReviewNote } from '../../../src-shared/model/review';
import type { ReviewTarget } from '../../api/review';
import { COLLAPSE_ROWS, FileDiff } from './FileDiff';
import { FileTree } from './FileTree';
import { rowCount } from './lines';

const ROW_PX = 21;
const HEADER_PX = 48;
/** Files rendered beyond the visible ones, so a scroll does not show them unrendered. */
const OVERSCAN = 2;

interface Props {
  target: ReviewTarget;
  files: ReviewFile[];
  viewType: ViewType;
  notes: readonly ReviewNote[];
  canComment: boolean;
}

/** A first guess of a file's height; the real one is measured once it renders. */
function estimate(file: ReviewFile): number {
  const rows = rowCount(file);
  if (file.isBinary || file.tooLarge || rows > COLLAPSE_ROWS) return HEADER_PX + 52;
  return HEADER_PX + rows * ROW_PX + 16;
}

/** False until the frame after the component's first commit has been produced, then true. */
function useAfterFirstPaint(): boolean {
  const [after, setAfter] = useState(false);
  useEffect(() => {
    // A requestAnimationFrame callback runs just before a frame; a task posted from it, after that frame.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setAfter(true));
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, []);
  return after;
}

/**
 * The file tree beside the diffs. Only the files in view are rendered (an MR can change hundreds
 * of files and tens of thousands of lines), each measured as it appears so comments and expanded
 * files keep the scroll position honest.
 */
export function DiffList({ target, files, viewType, notes, canComment }: Props) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const overscan = useAfterFirstPaint() ? OVERSCAN : 0;
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read during render by design
  const virtualizer = useVirtualizer({
    count: files.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (files[i] ? estimate(files[i]) : HEADER_PX),
    // The first frame renders, lays out and paints only the files in view (off-screen diff tables
    // cost as much as visible ones); those around them follow once that frame is out.
    overscan,
    getItemKey: (i) => `${files[i]?.oldPath}>${files[i]?.newPath}`,
    // The first files render in the first commit, before the pane has been measured: the first
    // diff paint does not wait for a layout and a second render.
    initialRect: { width: 900, height: 800 },
    onChange: (v) => {
      const first = v.getVirtualItems().find((item) => item.end > (v.scrollOffset ?? 0) + 8);
      if (first) setActive(first.index);
    },
  });
  const pick = useCallback((index: number) => virtualizer.scrollToIndex(index, { align: 'start' }), [virtualizer]);

  return (
    <div className="diff-layout">
      <FileTree files={files} active={active} onPick={pick} />
      <div ref={scrollRef} className="diff-scroll" data-testid="diff-scroll">
        <div className="diff-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const file = files[item.index];
            if (!file) return null;
            return (
              <div
                key={item.key}
                data-index={item.index}
                ref={virtualizer.measureElement}
                className="diff-item"
                style={{ transform: `translateY(${item.start}px)` }}
              >
                <FileDiff
                  target={target}
                  file={file}
                  viewType={viewType}
                  notes={notes}
                  canComment={canComment}
                  scrolling={virtualizer.isScrolling}
                />
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
