import { useState, type FormEvent } from 'react';
import { Globe, Lock, Plus, X } from 'lucide-react';
import { Badge, Button, Card, CardBody, CardHeader, ErrorBanner, Notice, TextField } from '../../components';
import { toUiError } from '../../api/client';
import { useUpdateSettings, type SettingsView } from '../../api/settings';
import { ManagedBadge } from './Managed';

const HOST = /^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/i;

/** The egress allowlist: the organization's entries (locked) and the user's own. */
export function EgressCard({ view }: { view: SettingsView }) {
  const update = useUpdateSettings();
  const [entry, setEntry] = useState('');
  const [invalid, setInvalid] = useState<string>();
  const { forced, user, userAdditionsAllowed } = view.egress;

  const add = (e: FormEvent) => {
    e.preventDefault();
    const host = entry.trim().toLowerCase();
    if (!HOST.test(host)) return setInvalid('Enter a host name like registry.npmjs.org, *.example.com or host:8443.');
    setInvalid(undefined);
    update.mutate({ egressAllow: [...user, host] }, { onSuccess: () => setEntry('') });
  };
  const remove = (host: string) => update.mutate({ egressAllow: user.filter((h) => h !== host) });

  return (
    <Card>
      <CardHeader
        icon={<Globe />}
        title="Network allowlist"
        description="Runs reach only these destinations (plus the run's own GitLab and its agent's model API). Everything else is refused and shown in the run."
        actions={!userAdditionsAllowed ? <ManagedBadge /> : undefined}
      />
      <CardBody>
        <ul className="chip-list" aria-label="Allowed destinations">
          {forced.map((host) => (
            <li key={`f-${host}`}>
              <Badge tone="info" icon={<Lock size={12} aria-hidden />} title="Added by your organization">
                {host}
              </Badge>
            </li>
          ))}
          {user.map((host) => (
            <li key={`u-${host}`} className="chip">
              <span>{host}</span>
              {userAdditionsAllowed && (
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove ${host}`}
                  onClick={() => remove(host)}
                >
                  <X size={12} aria-hidden />
                </button>
              )}
            </li>
          ))}
          {forced.length + user.length === 0 && (
            <li className="muted">
              No extra destinations: runs can reach only their GitLab and their agent’s model API.
            </li>
          )}
        </ul>
        {userAdditionsAllowed ? (
          <form className="row settings-add" onSubmit={add}>
            <TextField
              label="Add a destination"
              placeholder="registry.npmjs.org"
              value={entry}
              error={invalid}
              onChange={(e) => setEntry(e.currentTarget.value)}
            />
            <Button type="submit" icon={<Plus />} busy={update.isPending} disabled={!entry.trim()}>
              Add
            </Button>
          </form>
        ) : (
          <Notice tone="info">
            Your organization does not allow adding destinations. Ask your admin to add one to the policy.
          </Notice>
        )}
        {update.error && <ErrorBanner error={toUiError(update.error)} />}
      </CardBody>
    </Card>
  );
}
