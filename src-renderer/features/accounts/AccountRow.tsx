import { useState } from 'react';
import { ExternalLink, KeyRound, LogIn, Network, RefreshCw, Unplug } from 'lucide-react';
import { Avatar, Badge, Button, KeyValue, Notice, RelativeTime, cx } from '../../components';
import { useRevalidateAccount, type Account } from '../../api/accounts';
import { openExternal } from '../../api/app';
import { toUiError } from '../../api/client';
import { navigate } from '../../app/navigation';
import { DisconnectDialog } from './DisconnectDialog';
import { NetworkDialog } from './NetworkDialog';
import { SignInAgainDialog } from './SignInAgainDialog';
import { expiryText, healthBadge } from './health';
import './accounts.css';

/** One connected account: who, where, how, whether it still works, and what you can do with it. */
export function AccountRow({ account, compact }: { account: Account; compact?: boolean }) {
  const revalidate = useRevalidateAccount();
  const [dialog, setDialog] = useState<'disconnect' | 'network' | 'sign-in' | null>(null);
  const health = healthBadge(account.health);
  const expiry = expiryText(account.expiresAt);
  const revalidateError = revalidate.error ? toUiError(revalidate.error) : null;

  return (
    <li
      className={cx('account', compact && 'account-compact')}
      aria-label={`${account.username} on ${account.host}`}
      data-account-id={account.id}
    >
      <div className="account-main">
        <Avatar url={account.avatarUrl} name={account.name || account.username} size={compact ? 32 : 40} />
        <div className="account-who">
          <div className="account-name">
            <span>{account.name || account.username}</span>
            <span className="faint">@{account.username}</span>
            {account.isBot && <Badge tone="accent">Bot</Badge>}
          </div>
          <div className="account-meta">
            <span className="mono">{account.host}</span>
            <span aria-hidden>·</span>
            <span>{account.authMethod === 'oauth' ? 'OAuth' : 'Personal Access Token'}</span>
            <span aria-hidden>·</span>
            <span
              className={cx(expiry.tone === 'danger' && 'text-danger', expiry.tone === 'warning' && 'text-warning')}
            >
              {expiry.text}
            </span>
          </div>
        </div>
        <div className="account-status">
          {account.managed && <Badge outline>Managed by your organization</Badge>}
          <Badge tone={health.tone} dot title={account.health.message}>
            {health.label}
          </Badge>
        </div>
        <div className="account-actions">
          {account.health.signInAgain &&
            (account.authMethod === 'oauth' ? (
              <Button size="sm" variant="primary" icon={<LogIn />} onClick={() => setDialog('sign-in')}>
                Sign in again
              </Button>
            ) : (
              <Button
                size="sm"
                variant="primary"
                icon={<KeyRound />}
                onClick={() => navigate({ name: 'integrations' })}
              >
                Add a new token
              </Button>
            ))}
          <Button
            size="sm"
            variant="ghost"
            icon={<RefreshCw />}
            busy={revalidate.isPending}
            onClick={() => revalidate.mutate(account.id)}
          >
            Re-validate
          </Button>
          {!compact && (
            <Button size="sm" variant="ghost" icon={<Network />} onClick={() => setDialog('network')}>
              Network
            </Button>
          )}
          <Button size="sm" variant="danger-ghost" icon={<Unplug />} onClick={() => setDialog('disconnect')}>
            Disconnect
          </Button>
        </div>
      </div>

      {account.health.status === 'error' && account.health.message && (
        <Notice tone="danger" title={account.health.message} detail={account.health.code} />
      )}
      {revalidateError && <Notice tone="danger" title={revalidateError.message} detail={revalidateError.code} />}

      {!compact && (
        <div className="account-details">
          <KeyValue
            items={[
              [
                'Instance',
                <span className="row" key="i">
                  <span className="mono">{account.instanceUrl}</span>
                  {account.gitlabVersion && <span className="faint">GitLab {account.gitlabVersion}</span>}
                </span>,
              ],
              [
                'Scopes',
                <span className="row-wrap" key="s">
                  {account.scopes.length ? (
                    account.scopes.map((s) => <Badge key={s}>{s}</Badge>)
                  ) : (
                    <span className="faint">none reported</span>
                  )}
                </span>,
              ],
              ['Connected', <RelativeTime key="c" iso={account.connectedAt} />],
              [
                'Last checked',
                account.health.checkedAt ? (
                  <RelativeTime key="h" iso={account.health.checkedAt} />
                ) : (
                  <span className="faint">never</span>
                ),
              ],
              [
                'Network',
                <span key="n">
                  {[
                    account.network.caCertificatesPem ? 'custom CA' : null,
                    account.network.proxyUrl ? `proxy ${account.network.proxyUrl}` : null,
                  ]
                    .filter(Boolean)
                    .join(', ') || 'system defaults'}
                </span>,
              ],
            ]}
          />
          {account.warnings.length > 0 && (
            <ul className="account-warnings">
              {account.warnings.map((w) => (
                <li key={w.code}>{w.message}</li>
              ))}
            </ul>
          )}
          {account.webUrl && (
            <Button size="sm" variant="ghost" icon={<ExternalLink />} onClick={() => openExternal(account.webUrl!)}>
              Open profile on {account.host}
            </Button>
          )}
        </div>
      )}

      <DisconnectDialog account={account} open={dialog === 'disconnect'} onClose={() => setDialog(null)} />
      {dialog === 'network' && <NetworkDialog account={account} onClose={() => setDialog(null)} />}
      {dialog === 'sign-in' && <SignInAgainDialog account={account} onClose={() => setDialog(null)} />}
    </li>
  );
}
