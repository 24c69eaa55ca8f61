import { useState } from 'react';
import { Boxes } from 'lucide-react';
import { Button, Card, CardBody, CardFooter, CardHeader, ErrorBanner, TextField } from '../../components';
import { toUiError } from '../../api/client';
import { useUpdateSettings, type SettingsView } from '../../api/settings';
import { ManagedBadge } from './Managed';

type Limit = 'timeoutMinutes' | 'memoryMb' | 'cpus';
const LIMITS: Array<{ key: Limit; label: string; unit: string; min: number; step: number }> = [
  { key: 'timeoutMinutes', label: 'Time limit per run', unit: 'minutes', min: 1, step: 1 },
  { key: 'memoryMb', label: 'Memory', unit: 'MB', min: 256, step: 256 },
  { key: 'cpus', label: 'CPUs', unit: 'cores', min: 0.5, step: 0.5 },
];

/** Resource limits of the container every run gets; pinned values are locked. */
export function SandboxCard({ view }: { view: SettingsView }) {
  const update = useUpdateSettings();
  const [draft, setDraft] = useState<Partial<Record<Limit, string>>>({});
  const value = (key: Limit) => draft[key] ?? String(view.sandbox[key].value);
  const changed = LIMITS.some(({ key }) => draft[key] !== undefined && Number(draft[key]) !== view.sandbox[key].value);

  const save = () => {
    const patch: Partial<Record<Limit, number>> = {};
    for (const { key } of LIMITS)
      if (draft[key] !== undefined && !view.sandbox[key].managed) patch[key] = Number(draft[key]);
    update.mutate(patch, { onSuccess: () => setDraft({}) });
  };

  return (
    <Card>
      <CardHeader
        icon={<Boxes />}
        title="Sandbox"
        description="Every run works in a fresh container with these limits. It is removed when the run ends."
      />
      <CardBody>
        <div className="settings-grid">
          {LIMITS.map(({ key, label, unit, min, step }) => (
            <div key={key} className="settings-item">
              <TextField
                label={label}
                type="number"
                min={min}
                step={step}
                value={value(key)}
                disabled={view.sandbox[key].managed}
                hint={unit}
                onChange={(e) => setDraft((d) => ({ ...d, [key]: e.currentTarget.value }))}
              />
              {view.sandbox[key].managed && <ManagedBadge />}
            </div>
          ))}
          <div className="settings-item">
            <div className="field">
              <span className="field-label">Image</span>
              <code className="settings-code">{view.sandbox.image.value}</code>
              <span className="field-hint">
                {view.sandbox.image.managed
                  ? 'Pinned by your organization; used as published.'
                  : 'Built locally from Debian with the agent’s tools.'}
              </span>
            </div>
            {view.sandbox.image.managed && <ManagedBadge />}
          </div>
        </div>
        {update.error && <ErrorBanner error={toUiError(update.error)} />}
      </CardBody>
      <CardFooter>
        <Button variant="primary" disabled={!changed} busy={update.isPending} onClick={save}>
          Save limits
        </Button>
      </CardFooter>
    </Card>
  );
}
