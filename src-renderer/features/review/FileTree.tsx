import { memo } from 'react';
import type { ReviewFile } from '../../../src-shared/ipc/services/review';
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

const MARK = { add: 'A', delete: 'D', modify: 'M', rename: 'R', copy: 'C' } as const;

/** The changed files in diff order; a click scrolls the diff to that file. */
export const FileTree = memo(function FileTree({ files, active, onPick }: Props) {
  return (
    <nav className="file-tree" aria-label="Changed files">
      <ul>
        {files.map((file, i) => {
          const path = file.type === 'delete' ? file.oldPath : file.newPath;
          const [dir, name] = splitPath(path);
          return (
            <li key={`${file.oldPath}>${file.newPath}`}>
              <button type="button" className={cx('file-tree-item', i === active && 'file-tree-active')} onClick={() => onPick(i)} title={path}>
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
