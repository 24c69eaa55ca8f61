import { Button, Dialog, ErrorBanner } from '../../components';
import { useDisconnectAccount, type Account } from '../../api/accounts';
import { toUiError } from '../../api/client';

/** Confirms a disconnect and says exactly what it removes. */
export function DisconnectDialog({ account, open, onClose }: { account: Account; open: boolean; onClose(): void }) {
  const disconnect = useDisconnectAccount();
  const close = () => {
    disconnect.reset();
    onClose();
  };
  return (
    <Dialog
      open={open}
      onClose={close}
      title={`Disconnect @${account.username}?`}
      description={`${account.host} · ${account.authMethod === 'oauth' ? 'OAuth' : 'Personal Access Token'}`}
      footer={
        <>
          <Button variant="ghost" onClick={close} data-dialog-skip>
            Keep account
          </Button>
          <Button
            variant="danger"
            busy={disconnect.isPending}
            onClick={() => disconnect.mutate(account.id, { onSuccess: close })}
          >
            Disconnect
          </Button>
        </>
      }
    >
      <div className="stack-sm">
        <p className="muted">
          coSPEC will {account.authMethod === 'oauth' ? 'revoke its access on GitLab, ' : ''}delete the stored token and
          forget this account’s cached repositories. Past runs stay in your history.
        </p>
        {account.authMethod === 'pat' && (
          <p className="muted">
            The token itself stays valid on GitLab; revoke it there under Preferences → Access Tokens if you no longer
            need it.
          </p>
        )}
        {disconnect.error && <ErrorBanner error={toUiError(disconnect.error)} />}
      </div>
    </Dialog>
  );
}
