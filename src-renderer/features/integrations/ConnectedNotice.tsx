import { Button, Notice } from '../../components';
import type { ConnectResult } from '../../api/accounts';
import { navigate } from '../../app/navigation';

/** Success after a connect, with the service's warnings (expiring token, personal account …) under it. */
export function ConnectedNotice({ result, onDismiss }: { result: ConnectResult; onDismiss(): void }) {
  const { account, warnings } = result;
  return (
    <div className="stack-sm" data-testid="connected-notice">
      <Notice
        tone="success"
        title={`Connected as @${account.username}`}
        actions={
          <>
            <Button size="sm" variant="primary" onClick={() => navigate({ name: 'repositories' })}>
              Browse repositories
            </Button>
            <Button size="sm" variant="ghost" onClick={onDismiss}>
              Connect another account
            </Button>
          </>
        }
      >
        {account.name} on {account.host} can now be used for runs. The token is kept in your system’s secure storage.
      </Notice>
      {warnings.map((w) => (
        <Notice key={w.code} tone="warning" title={warningTitle(w.code)}>
          {w.message}
        </Notice>
      ))}
    </div>
  );
}

function warningTitle(code: ConnectResult['warnings'][number]['code']): string {
  switch (code) {
    case 'TOKEN_EXPIRES_SOON':
      return 'The token expires soon';
    case 'PERSONAL_ACCOUNT':
      return 'This looks like a personal account';
    case 'NO_EXPIRY':
      return 'The token never expires';
    case 'INSECURE_HTTP':
      return 'Connected over plain http';
    case 'EXTRA_SCOPES':
      return 'The token has more scopes than needed';
  }
}
