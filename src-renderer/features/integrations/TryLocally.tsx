import { FlaskConical } from 'lucide-react';
import { Button, ErrorBanner, Notice } from '../../components';
import type { ConnectResult } from '../../api/accounts';
import { toUiError } from '../../api/client';
import { useLocalGitLab, useStartLocalGitLab, useStopLocalGitLab } from '../../api/local-gitlab';

/**
 * "Try it locally": starts the GitLab bundled with a source checkout, seeded with projects and a
 * dedicated bot user, and connects that bot, so a first run works offline with no GitLab account.
 */
export function TryLocally({ onConnected }: { onConnected(result: ConnectResult): void }) {
  const status = useLocalGitLab();
  const start = useStartLocalGitLab();
  const stop = useStopLocalGitLab();

  if (status.data?.running) {
    return (
      <Notice
        tone="info"
        title="The local GitLab is running"
        actions={
          <Button size="sm" variant="ghost" busy={stop.isPending} onClick={() => stop.mutate()}>
            Stop and disconnect it
          </Button>
        }
      >
        It serves {status.data.url} on this computer only. Start a run on <code>{status.data.sampleProject}</code> from
        Repositories.
      </Notice>
    );
  }
  return (
    <div className="stack">
      <p className="muted">
        No GitLab account at hand? Start the local GitLab that comes with coSPEC: it runs on this computer only, with
        sample projects and a dedicated bot user, so you can watch an agent push a branch, open a merge request and file
        an issue — all offline.
      </p>
      <div>
        <Button
          variant="primary"
          icon={<FlaskConical />}
          busy={start.isPending}
          onClick={() =>
            start.mutate(undefined, { onSuccess: ({ account }) => onConnected({ account, warnings: [] }) })
          }
        >
          Start local GitLab
        </Button>
      </div>
      {start.error && <ErrorBanner error={toUiError(start.error)} />}
    </div>
  );
}
