import { useState } from 'react';
import { GitBranch } from 'lucide-react';
import { Button, Card, CardBody, CardFooter, CardHeader, Checkbox, ErrorBanner, TextField } from '../../components';
import { toUiError } from '../../api/client';
import { useUpdateSettings, type SettingsView } from '../../api/settings';
import { ManagedBadge } from './Managed';

/**
 * What the credential gateway lets agents push: their branch prefix, and whether their pushes skip
 * CI. Either can be pinned by the organization's policy, and is then shown locked.
 */
export function PushesCard({ view }: { view: SettingsView }) {
  const update = useUpdateSettings();
  const { branchPrefix, ciSkip } = view.pushes;
  const [draft, setDraft] = useState<string | undefined>(undefined);
  const prefix = draft ?? branchPrefix.value;
  const changed = draft !== undefined && draft.trim() !== branchPrefix.value;

  return (
    <Card>
      <CardHeader
        icon={<GitBranch />}
        title="Agent pushes"
        description="Agents push only to new branches under this prefix. The default branch, protected branches, tags and other people's branches are refused by the gateway, whatever the agent tries."
      />
      <CardBody>
        <div className="settings-grid">
          <div className="settings-item">
            <TextField
              label="Branch prefix"
              value={prefix}
              disabled={branchPrefix.managed}
              hint='Ends with "/", e.g. cospec/ or agents/cospec/.'
              onChange={(e) => setDraft(e.currentTarget.value)}
            />
            {branchPrefix.managed && <ManagedBadge />}
          </div>
          <div className="settings-item">
            <Checkbox
              label="Skip CI on agent pushes"
              hint="Adds ci.skip to every push, so no pipeline runs the agent's code until a person starts one."
              checked={ciSkip.value}
              disabled={ciSkip.managed || update.isPending}
              onChange={(checked) => update.mutate({ ciSkip: checked })}
            />
            {ciSkip.managed && <ManagedBadge />}
          </div>
        </div>
        {update.error && <ErrorBanner error={toUiError(update.error)} />}
      </CardBody>
      {!branchPrefix.managed && (
        <CardFooter>
          <Button
            variant="primary"
            disabled={!changed}
            busy={update.isPending}
            onClick={() => update.mutate({ branchPrefix: prefix.trim() }, { onSuccess: () => setDraft(undefined) })}
          >
            Save prefix
          </Button>
        </CardFooter>
      )}
    </Card>
  );
}
