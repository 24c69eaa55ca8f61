import { useId, useState, type FormEvent } from 'react';
import { MessageSquarePlus } from 'lucide-react';
import { Button, ErrorBanner } from '../../components';

interface Props {
  placeholder: string;
  submitLabel: string;
  busy: boolean;
  error: Error | null;
  onSubmit(body: string, done: () => void): void;
  onCancel?(): void;
  autoFocus?: boolean;
}

/** A comment editor; clears itself once the comment is saved. Ctrl/⌘+Enter sends. */
export function CommentBox({ placeholder, submitLabel, busy, error, onSubmit, onCancel, autoFocus }: Props) {
  const [body, setBody] = useState('');
  const id = useId();
  function submit(event?: FormEvent) {
    event?.preventDefault();
    if (!body.trim() || busy) return;
    onSubmit(body, () => setBody(''));
  }
  return (
    <form className="comment-box" onSubmit={submit}>
      <label htmlFor={id} className="visually-hidden">
        {placeholder}
      </label>
      <textarea
        id={id}
        className="textarea comment-box-input"
        value={body}
        placeholder={placeholder}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) submit();
          if (e.key === 'Escape' && onCancel) onCancel();
        }}
        rows={3}
        autoFocus={autoFocus}
      />
      {error && <ErrorBanner error={error} title="The comment was not saved" />}
      <div className="comment-box-actions">
        {onCancel && (
          <Button size="sm" variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        )}
        <Button
          size="sm"
          variant="primary"
          type="submit"
          icon={<MessageSquarePlus aria-hidden />}
          busy={busy}
          disabled={!body.trim()}
        >
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
