import { useState, type FormEvent } from 'react';
import { FolderDown } from 'lucide-react';
import type { MergeRequestSummary } from '../../../src-shared/ipc/services/review';
import { useCheckout, type ReviewTarget } from '../../api/review';
import { Button, Dialog, ErrorBanner, Notice, TextField } from '../../components';

/**
 * Checks the MR's branch out into a local folder so the user can run it. The folder is typed as a
 * path for now (the contract has no native folder picker yet); main refuses a non-empty folder.
 */
export function CheckoutDialog({ target, summary, onClose }: { target: ReviewTarget; summary: MergeRequestSummary; onClose(): void }) {
  const [dir, setDir] = useState('');
  const checkout = useCheckout(target);
  const formId = `checkout-${target.mrIid}`;

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
          Clones <span className="mono">{summary.sourceBranch}</span> at the merge request’s head commit, with this account’s credentials, into a new or empty
          folder.
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
            <Button type="submit" form={formId} variant="primary" icon={<FolderDown aria-hidden />} busy={checkout.isPending} disabled={!dir.trim()}>
              Check out
            </Button>
          </>
        )
      }
    >
      <form id={formId} onSubmit={submit} className="stack-sm">
        <TextField label="Folder" value={dir} onChange={(e) => setDir(e.target.value)} placeholder="/home/me/review/web-app-contributing" hint="An absolute path." />
        {checkout.error && <ErrorBanner error={checkout.error} title="The branch was not checked out" />}
        {checkout.data && (
          <Notice tone="success" title={`Checked out ${checkout.data.branch}`}>
            At <span className="mono">{checkout.data.head.slice(0, 8)}</span> in <span className="mono">{checkout.data.dir}</span>.
          </Notice>
        )}
      </form>
    </Dialog>
  );
}
