import { Building2, RefreshCw, Settings } from 'lucide-react';
import { Card, CardBody, CardHeader, Checkbox, ErrorBanner, LoadingState, Notice, PageHeader } from '../../components';
import { toUiError } from '../../api/client';
import { useSettings, useUpdateSettings, type SettingsView } from '../../api/settings';
import { AgentsCard } from './AgentsCard';
import { CloneCacheCard } from './CloneCacheCard';
import { EgressCard } from './EgressCard';
import { EngineCard } from './EngineCard';
import { ManagedBadge } from './Managed';
import { PushesCard } from './PushesCard';
import { SandboxCard } from './SandboxCard';
import './settings.css';

function PolicyNotice({ view }: { view: SettingsView }) {
  const { policy } = view;
  if (policy.status === 'invalid') {
    return (
      <Notice tone="danger" title="Your organization's policy file is invalid" detail={policy.problems.join('\n')}>
        Nothing in {policy.path} applies, and connecting accounts or starting runs is blocked until an admin fixes it.
      </Notice>
    );
  }
  if (policy.status !== 'active') return null;
  return (
    <Notice tone="info" title="Some settings are managed by your organization">
      They come from {policy.path} and are shown with a lock. Ask your admin to change them.
    </Notice>
  );
}

function UpdatesCard({ view }: { view: SettingsView }) {
  const update = useUpdateSettings();
  const setting = view.updates.checkAutomatically;
  return (
    <Card>
      <CardHeader
        icon={<RefreshCw />}
        title="Updates"
        description="coSPEC never downloads or installs an update without asking you."
        actions={setting.managed ? <ManagedBadge /> : undefined}
      />
      <CardBody>
        <Checkbox
          label="Check for updates automatically"
          hint="Looks for a new version at start and every six hours."
          checked={setting.value}
          disabled={setting.managed || update.isPending}
          onChange={(checked) => update.mutate({ checkUpdatesAutomatically: checked })}
        />
        {update.error && <ErrorBanner error={toUiError(update.error)} />}
      </CardBody>
    </Card>
  );
}

function ManagedInstancesCard({ view }: { view: SettingsView }) {
  const { managedInstances, otherInstancesAllowed, gitlabComAllowed } = view.policy;
  if (managedInstances.length === 0 && otherInstancesAllowed && gitlabComAllowed) return null;
  return (
    <Card>
      <CardHeader
        icon={<Building2 />}
        title="GitLab instances"
        description="Set up by your organization."
        actions={<ManagedBadge />}
      />
      <CardBody>
        <ul className="managed-list">
          {managedInstances.map((i) => (
            <li key={i.url}>
              <code>{i.url}</code>
              <span className="muted">
                {[i.oauth && 'sign-in with GitLab', i.customCa && 'company CA', i.proxy && 'proxy']
                  .filter(Boolean)
                  .join(' · ') || 'preconfigured'}
              </span>
            </li>
          ))}
        </ul>
        {!otherInstancesAllowed && <p className="muted">Only these instances can be connected.</p>}
        {!gitlabComAllowed && <p className="muted">gitlab.com accounts cannot be connected.</p>}
      </CardBody>
    </Card>
  );
}

/** Settings: run limits, the allowlist, agents and updates, with the organization's locks shown. */
export function SettingsScreen() {
  const settings = useSettings();
  return (
    <div className="stack-lg">
      <PageHeader
        icon={<Settings />}
        title="Settings"
        description="How runs are sandboxed, what they may reach, and which agents they use."
      />
      {settings.isPending && <LoadingState label="Loading settings" />}
      {settings.error && <ErrorBanner error={toUiError(settings.error)} />}
      {settings.data && (
        <>
          <PolicyNotice view={settings.data} />
          <EngineCard view={settings.data} />
          <SandboxCard view={settings.data} />
          <EgressCard view={settings.data} />
          <PushesCard view={settings.data} />
          <AgentsCard view={settings.data} />
          <CloneCacheCard view={settings.data} />
          <UpdatesCard view={settings.data} />
          <ManagedInstancesCard view={settings.data} />
        </>
      )}
    </div>
  );
}
