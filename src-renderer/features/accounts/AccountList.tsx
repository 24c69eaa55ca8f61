import { Button, ErrorBanner, LoadingState } from '../../components';
import { useAccounts } from '../../api/accounts';
import { toUiError } from '../../api/client';
import { AccountRow } from './AccountRow';
import './accounts.css';

/** Every connected account; `compact` is the summary the Integrations screen shows. */
export function AccountList({
  compact,
  emptyText,
  empty,
}: {
  compact?: boolean;
  emptyText?: string;
  empty?: React.ReactNode;
}) {
  const accounts = useAccounts();
  if (accounts.isPending) return <LoadingState label="Loading accounts…" />;
  if (accounts.error) {
    const error = toUiError(accounts.error);
    return (
      <ErrorBanner
        title={error.code === 'SETTINGS_CORRUPT' ? 'Your accounts file was damaged' : 'Couldn’t load accounts'}
        error={error}
        actions={
          <Button size="sm" onClick={() => void accounts.refetch()}>
            Reload
          </Button>
        }
      />
    );
  }
  if (accounts.data.length === 0) return <>{empty ?? <p className="list-empty">{emptyText}</p>}</>;
  return (
    <ul className={compact ? 'account-list account-list-compact' : 'account-list'} aria-label="Connected accounts">
      {accounts.data.map((a) => (
        <AccountRow key={a.id} account={a} compact={compact} />
      ))}
    </ul>
  );
}
