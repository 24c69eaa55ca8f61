import { useState, type FormEvent } from 'react';
import { FolderDown, FolderOpen } from 'lucide-react';
import type { MergeRequestSummary } from '../../../src-shared/model/review';
import { usePickFolder } from '../../api/app';
import { useCheckout, type ReviewTarget } from '../../api/review';
import { Button, Dialog, ErrorBanner, Notice, TextField } from '../../components';

/**
 * Checks the MR's branch out into a local folder so the user can run it. The folder is chosen with
 * the OS folder picker ("Choose…", which can also create it) or typed as a path; main refuses a
 * non-empty folder.
 */
export function CheckoutDialog({
  target,
  summary,
  onClose,
}: {
  target: ReviewTarget;
  summary: MergeRequestSummary;
  onClose(): void;
}) {
  const [dir, setDir] = useState('');
  const checkout = useCheckout(target);
  const picker = usePickFolder();
  const formId = `checkout-${target.mrIid}`;
  const hintId = `${formId}-hint`;

  function choose() {
    picker.mutate(
      { title: `Check out ${summary.sourceBranch} into…`, ...(dir.trim() ? { defaultPath: dir.trim() } : {}) },
      { onSuccess: (picked) => picked && setDir(picked) },
    );
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (dir.trim()) checkout.mutate(dir.trim());
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title="Check out the branch locally"
      description={
        <>
          Clones <span className="mono">{summary.sourceBranch}</span> at the merge request’s head commit, with this
          account’s credentials, into a new or empty folder.
        </>
      }
      footer={
        checkout.data ? (
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        ) : (
          <>
            <Button onClick={onClose}>Cancel</Button>
            <Button
              type="submit"
              form={formId}
              variant="primary"
              icon={<FolderDown aria-hidden />}
              busy={checkout.isPending}
              disabled={!dir.trim()}
            >
              Check out
            </Button>
          </>
        )
      }
    >
      <form id={formId} onSubmit={submit} className="stack-sm">
        <div className="checkout-folder">
          <TextField
            label="Folder"
            value={dir}
            onChange={(e) => setDir(e.target.value)}
            placeholder="/home/me/review/web-app-contributing"
            aria-describedby={hintId}
          />
          <Button
            icon={<FolderOpen aria-hidden />}
            busy={picker.isPending}
            disabled={checkout.isPending || Boolean(checkout.data)}
            onClick={choose}
          >
            Choose…
          </Button>
        </div>
        <span id={hintId} className="field-hint">
          A new or empty folder: choose one, or type its absolute path.
        </span>
        {picker.error && <ErrorBanner error={picker.error} title="The folder picker could not be opened" />}
        {checkout.error && <ErrorBanner error={checkout.error} title="The branch was not checked out" />}
        {checkout.data && (
          <Notice tone="success" title={`Checked out ${checkout.data.branch}`}>
            At <span className="mono">{checkout.data.head.slice(0, 8)}</span> in{' '}
            <span className="mono">{checkout.data.dir}</span>.
          </Notice>
        )}
      </form>
    </Dialog>
  );
}
