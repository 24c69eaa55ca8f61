import { Download, RefreshCw, RotateCcw } from 'lucide-react';
import { useCheckForUpdates, useDownloadUpdate, useInstallUpdate, useUpdateState } from '../../api/updates';
import { toUiError } from '../../api/client';
import { Button } from '../../components';

/**
 * The sidebar's quiet update notice. It appears only when there is something to act on (an update
 * available, downloading, ready, or a failure to retry); when updates are unsupported or turned off
 * (by the user or the organization's policy) the service says so in its state and nothing shows.
 */
export function UpdateNotice() {
  const state = useUpdateState();
  const check = useCheckForUpdates();
  const download = useDownloadUpdate();
  const install = useInstallUpdate();
  const s = state.data;
  if (!s) return null;
  const version = s.availableVersion ? ` — version ${s.availableVersion}` : '';
  const actionError = [check.error, download.error, install.error].find(Boolean);

  let body;
  switch (s.status) {
    case 'available':
      body = (
        <>
          <div className="update-title">Update available{version}</div>
          <Button
            size="sm"
            variant="primary"
            icon={<Download />}
            busy={download.isPending}
            onClick={() => download.mutate()}
          >
            Download
          </Button>
        </>
      );
      break;
    case 'downloading': {
      const percent = s.downloadPercent ?? 0;
      body = (
        <>
          <div className="update-title">Downloading{version}</div>
          <div
            className="update-progress"
            role="progressbar"
            aria-label="Update download"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
          >
            <div className="update-progress-bar" style={{ width: `${percent}%` }} />
          </div>
          <div className="update-detail">{percent}%</div>
        </>
      );
      break;
    }
    case 'ready':
      body = (
        <>
          <div className="update-title">Update ready{version}</div>
          <Button
            size="sm"
            variant="primary"
            icon={<RotateCcw />}
            busy={install.isPending}
            onClick={() => install.mutate()}
          >
            Restart to update
          </Button>
        </>
      );
      break;
    case 'error':
      body = (
        <>
          <div className="update-detail" title={s.message}>
            {s.message ?? 'The update failed.'}
          </div>
          <Button size="sm" variant="ghost" icon={<RefreshCw />} busy={check.isPending} onClick={() => check.mutate()}>
            Retry
          </Button>
        </>
      );
      break;
    default:
      return null;
  }
  return (
    <section className="update-notice" aria-label="Update" aria-live="polite">
      {body}
      {actionError ? <div className="update-detail update-error">{toUiError(actionError).message}</div> : null}
    </section>
  );
}
