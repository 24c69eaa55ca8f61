import { useState } from 'react';
import { HardDrive } from 'lucide-react';
import { Button, Card, CardBody, CardFooter, CardHeader, ErrorBanner, TextField } from '../../components';
import { toUiError } from '../../api/client';
import { useClearCloneCache, useCloneCache, useUpdateSettings, type SettingsView } from '../../api/settings';

/** Sizes the way a file manager shows them (binary units, one decimal above a kilobyte). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} ${units[0]}` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The per-project clone cache: repeat runs copy their workspace from it instead of cloning from
 * GitLab. Shows what it holds now, its bound, and empties it on request.
 */
export function CloneCacheCard({ view }: { view: SettingsView }) {
  const info = useCloneCache();
  const clear = useClearCloneCache();
  const update = useUpdateSettings();
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const maxGb = draft ?? String(view.cloneCache.maxGb);
  const changed = draft !== undefined && Number(draft) !== view.cloneCache.maxGb;
  const data = clear.data ?? info.data;

  return (
    <Card>
      <CardHeader
        icon={<HardDrive />}
        title="Clone cache"
        description="Repeat runs on a project copy their workspace from a local cache, brought up to date from GitLab first, instead of cloning it again. Agents never see or change the cache."
      />
      <CardBody>
        <div className="settings-grid">
          <div className="settings-item">
            <div className="field">
              <span className="field-label">In use</span>
              <span className="clone-cache-size" aria-live="polite">
                {data
                  ? `${formatBytes(data.bytes)} · ${data.projects} ${data.projects === 1 ? 'project' : 'projects'}`
                  : 'Measuring…'}
              </span>
              <span className="field-hint">The least recently used projects are removed first when it is full.</span>
            </div>
          </div>
          <div className="settings-item">
            <TextField
              label="Maximum size"
              type="number"
              min={1}
              max={1024}
              step={1}
              value={maxGb}
              hint="GB, all projects together"
              onChange={(e) => setDraft(e.currentTarget.value)}
            />
          </div>
        </div>
        {info.error && <ErrorBanner error={toUiError(info.error)} />}
        {clear.error && <ErrorBanner error={toUiError(clear.error)} />}
        {update.error && <ErrorBanner error={toUiError(update.error)} />}
      </CardBody>
      <CardFooter>
        <Button
          variant="secondary"
          busy={clear.isPending}
          disabled={!data || data.projects === 0}
          onClick={() => clear.mutate()}
        >
          Clear
        </Button>
        <Button
          variant="primary"
          disabled={!changed}
          busy={update.isPending}
          onClick={() => update.mutate({ cloneCacheMaxGb: Number(maxGb) }, { onSuccess: () => setDraft(undefined) })}
        >
          Save size
        </Button>
      </CardFooter>
    </Card>
  );
}
