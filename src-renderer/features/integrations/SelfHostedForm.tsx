import { useRef, useState, type FormEvent } from 'react';
import { ChevronRight, KeyRound } from 'lucide-react';
import { Button, Checkbox, TextField, cx } from '../../components';
import { useConnectWithToken, type ConnectResult, type NetworkSettings } from '../../api/accounts';
import { toUiError } from '../../api/client';
import { EMPTY_NETWORK, NetworkFields, toNetworkSettings, type NetworkDraft } from '../accounts/NetworkFields';
import { ConnectionError } from './ConnectionError';
import type { Diagnosis } from './diagnostics';
import './integrations.css';

/**
 * Connects a self-hosted GitLab with a Personal Access Token. Main validates before it saves
 * (version, user, token scopes and expiry), so an error here means nothing was stored.
 */
export function SelfHostedForm({
  onConnected,
  onUseOAuth,
}: {
  onConnected(result: ConnectResult): void;
  onUseOAuth(instanceUrl: string, network: NetworkSettings): void;
}) {
  const [instanceUrl, setInstanceUrl] = useState('');
  const [token, setToken] = useState('');
  const [allowHttp, setAllowHttp] = useState(false);
  const [showNetwork, setShowNetwork] = useState(false);
  const [network, setNetwork] = useState<NetworkDraft>(EMPTY_NETWORK);
  const caRef = useRef<HTMLTextAreaElement>(null);
  const connect = useConnectWithToken();
  const error = connect.error ? toUiError(connect.error) : null;
  const isHttp = /^http:\/\//i.test(instanceUrl.trim());

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    connect.mutate(
      { instanceUrl: instanceUrl.trim(), token: token.trim(), allowHttp, network: toNetworkSettings(network) },
      {
        onSuccess: (result) => {
          // The token leaves the renderer's memory as soon as main has it.
          setToken('');
          onConnected(result);
        },
      },
    );
  };

  const onAction = (action: NonNullable<Diagnosis['action']>) => {
    if (action === 'retry') submit();
    if (action === 'allow-http') {
      setAllowHttp(true);
      connect.reset();
    }
    if (action === 'trust-ca' || action === 'proxy') {
      setShowNetwork(true);
      if (action === 'trust-ca') queueMicrotask(() => caRef.current?.focus());
    }
  };

  return (
    <form className="stack" onSubmit={submit} aria-label="Connect a self-hosted GitLab">
      <TextField
        label="GitLab instance URL"
        placeholder="https://gitlab.company.com"
        hint="The address you open GitLab at. Installs under a path are fine (https://host/gitlab)."
        value={instanceUrl}
        onChange={(e) => setInstanceUrl(e.currentTarget.value)}
        autoComplete="url"
        spellCheck={false}
        required
      />
      {isHttp && (
        <Checkbox
          label="Allow plain http for this instance"
          hint="Only for a trusted test instance: the token would travel unencrypted."
          checked={allowHttp}
          onChange={setAllowHttp}
        />
      )}
      <TextField
        label="Personal Access Token"
        type="password"
        placeholder="glpat-…"
        hint="Stored only in your system’s secure storage; coSPEC never shows it again."
        value={token}
        onChange={(e) => setToken(e.currentTarget.value)}
        autoComplete="off"
        spellCheck={false}
        required
      />

      <div className="disclosure">
        <button
          type="button"
          className={cx('disclosure-toggle', showNetwork && 'open')}
          aria-expanded={showNetwork}
          onClick={() => setShowNetwork(!showNetwork)}
        >
          <ChevronRight aria-hidden />
          Certificates and proxy
          <span className="faint">for a GitLab behind a VPN or a company CA</span>
        </button>
        {showNetwork && (
          <div className="disclosure-body">
            <NetworkFields value={network} onChange={setNetwork} caRef={caRef} />
          </div>
        )}
      </div>

      {error && <ConnectionError error={error} onAction={onAction} busy={connect.isPending} />}

      <div className="form-actions">
        <Button
          type="submit"
          variant="primary"
          icon={<KeyRound />}
          busy={connect.isPending}
          disabled={!instanceUrl.trim() || !token.trim()}
        >
          {connect.isPending ? 'Checking…' : 'Connect'}
        </Button>
        <Button
          variant="ghost"
          disabled={!instanceUrl.trim() || connect.isPending}
          onClick={() => onUseOAuth(instanceUrl.trim(), toNetworkSettings(network))}
        >
          Sign in with OAuth instead
        </Button>
      </div>
    </form>
  );
}
