import { useEffect, useRef, useState } from 'react';
import { ExternalLink, Globe, ShieldCheck } from 'lucide-react';
import { Button, Spinner, formatRelative } from '../../components';
import {
  cancelOAuth,
  useBeginOAuth,
  useWaitForOAuth,
  type ConnectResult,
  type NetworkSettings,
  type OAuthFlow,
} from '../../api/accounts';
import { openExternal } from '../../api/app';
import { toUiError } from '../../api/client';
import { ConnectionError } from './ConnectionError';
import './integrations.css';

/**
 * OAuth with PKCE: main opens the system browser at the instance's authorize page and waits for
 * the redirect (cospec:// or a loopback port). This panel only shows where the flow stands.
 */
export function OAuthConnect({
  instanceUrl,
  network,
  onConnected,
  autoStart = false,
}: {
  instanceUrl?: string;
  network?: NetworkSettings;
  onConnected(result: ConnectResult): void;
  autoStart?: boolean;
}) {
  const begin = useBeginOAuth();
  const wait = useWaitForOAuth();
  const [flow, setFlow] = useState<OAuthFlow | null>(null);
  const started = useRef(false);

  const start = () => {
    wait.reset();
    begin.mutate(
      { instanceUrl, redirect: 'auto', network },
      {
        onSuccess: (f) => {
          setFlow(f);
          wait.mutate(f.flowId, { onSuccess: onConnected, onSettled: () => setFlow(null) });
        },
      },
    );
  };

  useEffect(() => {
    if (autoStart && !started.current) {
      started.current = true;
      start();
    }
  });

  const error = begin.error ?? wait.error;
  const host = instanceUrl ? safeHost(instanceUrl) : 'gitlab.com';

  if (flow) {
    return (
      <div className="oauth-waiting" role="status" data-testid="oauth-waiting">
        <Spinner size={18} />
        <div className="stack-sm">
          <h3>Finish signing in in your browser</h3>
          <p className="muted">
            We opened {host}’s authorization page. Approve access there and you’ll come straight back here. This request
            expires {formatRelative(flow.expiresAt)}.
          </p>
          <div className="row">
            <Button size="sm" icon={<ExternalLink />} onClick={() => openExternal(flow.authorizeUrl)}>
              Open the page again
            </Button>
            <Button size="sm" variant="ghost" onClick={() => void cancelOAuth(flow.flowId)}>
              Cancel
            </Button>
          </div>
        </div>
      </div>
    );
  }

  return (
    <div className="stack">
      <ul className="facts">
        <li>
          <Globe aria-hidden /> Sign-in happens in your browser, never inside coSPEC.
        </li>
        <li>
          <ShieldCheck aria-hidden /> OAuth with PKCE; coSPEC receives a token it keeps in your system’s secure storage.
        </li>
      </ul>
      {error && <ConnectionError error={toUiError(error)} onAction={() => start()} />}
      <div className="form-actions">
        <Button variant="primary" size="lg" busy={begin.isPending} onClick={start}>
          Connect Account
        </Button>
      </div>
    </div>
  );
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
