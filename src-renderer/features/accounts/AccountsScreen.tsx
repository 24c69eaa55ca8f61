import { Plus, UsersRound } from 'lucide-react';
import { Button, EmptyState, PageHeader } from '../../components';
import { navigate } from '../../app/navigation';
import { AccountList } from './AccountList';

/** Accounts: every connected GitLab account with its health, re-validated and disconnected one by one. */
export function AccountsScreen() {
  const connect = () => navigate({ name: 'integrations' });
  return (
    <div className="stack-lg">
      <PageHeader
        icon={<UsersRound />}
        title="Accounts"
        description="The GitLab accounts coSPEC can use for runs. Each one is checked and disconnected on its own."
        actions={
          <Button variant="primary" icon={<Plus />} onClick={connect}>
            Connect account
          </Button>
        }
      />
      <AccountList
        empty={
          <EmptyState
            icon={<UsersRound />}
            title="No accounts connected"
            actions={
              <Button variant="primary" onClick={connect}>
                Connect GitLab
              </Button>
            }
          >
            Connect gitlab.com or your company’s GitLab so coSPEC can list your repositories and run agents on them. You
            can add several accounts, even two users on the same instance.
          </EmptyState>
        }
      />
    </div>
  );
}
