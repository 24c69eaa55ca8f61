import { useState } from 'react';
import { GitMerge } from 'lucide-react';
import type { MergeRequestSummary } from '../../../src-shared/ipc/services/review';
import { useMerge, type ReviewTarget } from '../../api/review';
import { Button, Checkbox, Dialog, ErrorBanner } from '../../components';

/**
 * The confirmation before merging: what goes where, with GitLab's squash and branch-deletion
 * defaults preset. The reviewed head commit is sent along, so a branch that moved meanwhile is
 * refused instead of merging changes nobody looked at.
 */
export function MergeDialog({
  target,
  summary,
  onClose,
}: {
  target: ReviewTarget;
  summary: MergeRequestSummary;
  onClose(): void;
}) {
  const [squash, setSquash] = useState(summary.squashDefault);
  const [removeSource, setRemoveSource] = useState(summary.removeSourceBranchDefault);
  const merge = useMerge(target);

  function confirm() {
    merge.mutate(
      { squash, removeSourceBranch: removeSource, ...(summary.headSha ? { sha: summary.headSha } : {}) },
      { onSuccess: onClose },
    );
  }

  return (
    <Dialog
      open
      onClose={onClose}
      title={`Merge !${summary.iid}?`}
      description={
        <>
          <span className="mono">{summary.sourceBranch}</span> will be merged into{' '}
          <span className="mono">{summary.targetBranch}</span> on GitLab
          {summary.headSha ? (
            <>
              {' '}
              at <span className="mono">{summary.headSha.slice(0, 8)}</span>, the commit you reviewed
            </>
          ) : null}
          .
        </>
      }
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            icon={<GitMerge aria-hidden />}
            busy={merge.isPending}
            onClick={confirm}
            data-testid="confirm-merge"
          >
            Merge
          </Button>
        </>
      }
    >
      <div className="stack-sm">
        <Checkbox
          label="Squash commits"
          hint="Land the branch as a single commit."
          checked={squash}
          onChange={setSquash}
        />
        <Checkbox
          label={`Delete ${summary.sourceBranch} after merging`}
          checked={removeSource}
          onChange={setRemoveSource}
        />
        {merge.error && <ErrorBanner error={merge.error} title="GitLab did not merge it" />}
      </div>
    </Dialog>
  );
}
