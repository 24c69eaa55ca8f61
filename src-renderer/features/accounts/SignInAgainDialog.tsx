import { Dialog } from '../../components';
import type { Account } from '../../api/accounts';
import { OAuthConnect } from '../integrations/GitLabComConnect';

/**
 * Signs an OAuth account in again after GitLab refused its refresh token: the same OAuth flow as
 * connecting, for the same instance and network; the account is updated in place (same user).
 */
export function SignInAgainDialog({ account, onClose }: { account: Account; onClose(): void }) {
  return (
    <Dialog
      open
      onClose={onClose}
      title={`Sign in to ${account.host} again`}
      description={`${account.host} no longer accepts coSPEC’s saved sign-in for @${account.username}. Sign in as @${account.username} in your browser to bring the account back; its settings are kept.`}
    >
      <OAuthConnect instanceUrl={account.instanceUrl} network={account.network} autoStart onConnected={onClose} />
    </Dialog>
  );
}
