import { useState } from 'react';
import { GitMerge } from 'lucide-react';
import type { MergeRequestSummary } from '../../../src-shared/model/review';
import { useMerge, type ReviewTarget } from '../../api/review';
import { Button, Checkbox, Dialog, ErrorBanner, TextArea } from '../../components';

/** What the squash checkbox says under each of GitLab's project settings (squash_readonly for always/never). */
const SQUASH_HINT = {
  always: 'Required by this project’s settings on GitLab.',
  editable: 'Land the branch as a single commit.',
} as const;

/**
 * The confirmation before merging: what goes where, with GitLab's squash and branch-deletion
 * defaults preset. Squashing follows the project's setting as GitLab's merge widget does: fixed on
 * under "always", not offered under "never", a choice otherwise, with the squash commit's message
 * editable (GitLab's default: the MR's title). The reviewed head commit is sent along, so a branch
 * that moved meanwhile is refused instead of merging changes nobody looked at.
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
  const option = summary.squashOption;
  const [chosen, setSquash] = useState(summary.squashDefault);
  const squash = option === 'always' ? true : option === 'never' ? false : chosen;
  const [squashMessage, setSquashMessage] = useState(summary.title);
  const [removeSource, setRemoveSource] = useState(summary.removeSourceBranchDefault);
  const merge = useMerge(target);

  function confirm() {
    const message = squashMessage.trim();
    merge.mutate(
      {
        ...(option === 'never' ? {} : { squash }),
        ...(squash && message && message !== summary.title ? { squashCommitMessage: message } : {}),
        removeSourceBranch: removeSource,
        ...(summary.headSha ? { sha: summary.headSha } : {}),
      },
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
        {option !== 'never' && (
          <Checkbox
            label="Squash commits"
            hint={option === 'always' ? SQUASH_HINT.always : SQUASH_HINT.editable}
            checked={squash}
            disabled={option === 'always'}
            onChange={setSquash}
          />
        )}
        {squash && (
          <TextArea
            label="Squash commit message"
            rows={3}
            value={squashMessage}
            maxLength={100_000}
            onChange={(e) => setSquashMessage(e.currentTarget.value)}
            data-testid="squash-message"
          />
        )}
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
