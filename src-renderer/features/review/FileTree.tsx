import { memo, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { ReviewFile } from '../../../src-shared/model/review';
import { cx } from '../../components';

interface Props {
  files: readonly ReviewFile[];
  active: number;
  onPick(index: number): void;
}

function splitPath(path: string): [dir: string, name: string] {
  const i = path.lastIndexOf('/');
  return i < 0 ? ['', path] : [path.slice(0, i), path.slice(i + 1)];
}

const pathOf = (file: ReviewFile) => (file.type === 'delete' ? file.oldPath : file.newPath);

const MARK = { add: 'A', delete: 'D', modify: 'M', rename: 'R', copy: 'C' } as const;
/** Row heights before measuring: a name alone, or a name over its folder. */
const ROW_PX = 28;
const ROW_WITH_DIR_PX = 42;

/**
 * The changed files in diff order; a click scrolls the diff to that file. Only the rows in view are
 * rendered: an MR with hundreds of files must not cost hundreds of rows before its first diff paints.
 */
export const FileTree = memo(function FileTree({ files, active, onPick }: Props) {
  const scrollRef = useRef<HTMLElement>(null);
  const virtualizer = useVirtualizer({
    count: files.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => (files[i] && pathOf(files[i]).includes('/') ? ROW_WITH_DIR_PX : ROW_PX),
    overscan: 10,
    getItemKey: (i) => `${files[i]?.oldPath}>${files[i]?.newPath}`,
    // Render the first rows in the first commit, before the nav has been measured.
    initialRect: { width: 260, height: 800 },
  });
  return (
    <nav ref={scrollRef} className="file-tree" aria-label="Changed files">
      <ul style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const file = files[item.index];
          if (!file) return null;
          const [dir, name] = splitPath(pathOf(file));
          return (
            <li
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              style={{ transform: `translateY(${item.start}px)` }}
            >
              <button
                type="button"
                className={cx('file-tree-item', item.index === active && 'file-tree-active')}
                onClick={() => onPick(item.index)}
                title={pathOf(file)}
              >
                <span className={`file-mark file-mark-${file.type}`} aria-label={file.type}>
                  {MARK[file.type]}
                </span>
                <span className="file-tree-name">
                  <span className="file-tree-file">{name}</span>
                  {dir && <span className="file-tree-dir">{dir}</span>}
                </span>
                <span className="file-tree-stats">
                  {file.additions > 0 && <span className="add">+{file.additions}</span>}
                  {file.deletions > 0 && <span className="del">−{file.deletions}</span>}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
});
