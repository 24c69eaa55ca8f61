import { useState } from 'react';
import { Button, Dialog, ErrorBanner } from '../../components';
import { useUpdateNetwork, type Account } from '../../api/accounts';
import { toUiError } from '../../api/client';
import { NetworkFields, fromNetworkSettings, toNetworkSettings } from './NetworkFields';

/** Edits one account's CA certificates and proxy; saved settings apply to its API, git and OAuth calls. */
export function NetworkDialog({ account, onClose }: { account: Account; onClose(): void }) {
  const [draft, setDraft] = useState(() => fromNetworkSettings(account.network));
  const update = useUpdateNetwork();
  return (
    <Dialog
      open
      wide
      onClose={onClose}
      title="Network settings"
      description={`Used for every call of @${account.username} on ${account.host}.`}
      footer={
        <>
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button
            variant="primary"
            busy={update.isPending}
            onClick={() =>
              update.mutate({ accountId: account.id, network: toNetworkSettings(draft) }, { onSuccess: onClose })
            }
          >
            Save
          </Button>
        </>
      }
    >
      <div className="stack">
        <NetworkFields value={draft} onChange={setDraft} />
        {update.error && <ErrorBanner error={toUiError(update.error)} />}
      </div>
    </Dialog>
  );
}
