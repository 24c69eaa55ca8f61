import type { ReviewNote } from '../../../src-shared/model/review';
import { Avatar, RelativeTime, cx } from '../../components';
import { safeAvatar } from './lines';

/** One comment: who, when, what (plain text: GitLab's Markdown is shown as written). */
export function Note({ note, showPosition }: { note: ReviewNote; showPosition?: boolean }) {
  return (
    <article className={cx('note', note.system && 'note-system')} data-testid="review-note">
      <Avatar url={safeAvatar(note.author.avatarUrl)} name={note.author.name} size={note.system ? 20 : 26} />
      <div className="note-body">
        <header className="note-head">
          <span className="note-author">{note.author.name}</span>
          <span className="faint">@{note.author.username}</span>
          <span className="faint">
            · <RelativeTime iso={note.createdAt} />
          </span>
          {showPosition && note.position && (
            <span className="note-where mono">
              {note.position.path}:{note.position.newLine ?? note.position.oldLine}
            </span>
          )}
          {note.resolvable && note.resolved && <span className="note-resolved">resolved</span>}
        </header>
        <div className="note-text">{note.body}</div>
      </div>
    </article>
  );
}
