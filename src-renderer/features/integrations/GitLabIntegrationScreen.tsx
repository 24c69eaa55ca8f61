import { useState } from 'react';
import { FlaskConical, Server } from 'lucide-react';
import { Card, Notice, PageHeader, cx } from '../../components';
import type { ConnectResult, NetworkSettings } from '../../api/accounts';
import { AccountList } from '../accounts/AccountList';
import { ConnectedNotice } from './ConnectedNotice';
import { OAuthConnect } from './GitLabComConnect';
import { GitLabLogo } from './GitLabLogo';
import { PatGuide } from './PatGuide';
import { SelfHostedForm } from './SelfHostedForm';
import { TryLocally } from './TryLocally';
import { useLocalGitLab } from '../../api/local-gitlab';
import './integrations.css';

type Target = 'gitlab.com' | 'self-hosted' | 'self-hosted-oauth' | 'local';

/** Integrations → GitLab: connect gitlab.com (OAuth) or a self-hosted instance (token), see what is connected. */
export function GitLabIntegrationScreen() {
  const [target, setTarget] = useState<Target>('gitlab.com');
  const [oauthInstance, setOauthInstance] = useState('');
  const [oauthNetwork, setOauthNetwork] = useState<NetworkSettings | undefined>(undefined);
  const [connected, setConnected] = useState<ConnectResult | null>(null);
  const local = useLocalGitLab();

  return (
    <div className="stack-lg">
      <PageHeader
        icon={<GitLabLogo size={22} />}
        title="GitLab"
        description="Connect repositories and manage GitLab integrations"
      />

      <Notice tone="info" title="Protect your default branch">
        Turn on branch protection for the default branch in each GitLab project’s settings, so merge requests opened by
        the agent always go through code review before they’re merged.
      </Notice>

      <section aria-labelledby="connect-heading">
        <div className="section-title" id="connect-heading">
          Connect an account
        </div>
        {connected ? (
          <ConnectedNotice result={connected} onDismiss={() => setConnected(null)} />
        ) : (
          <Card>
            <div className="choice-row" role="radiogroup" aria-label="Where is your GitLab?">
              <Choice
                selected={target === 'gitlab.com'}
                onSelect={() => setTarget('gitlab.com')}
                icon={<GitLabLogo size={20} />}
                title="gitlab.com"
                description="Sign in with your GitLab account in the browser."
              />
              <Choice
                selected={target === 'self-hosted' || target === 'self-hosted-oauth'}
                onSelect={() => setTarget('self-hosted')}
                icon={<Server />}
                title="Self-hosted instance"
                description="Your company’s GitLab, with a Personal Access Token."
              />
              {local.data?.available && (
                <Choice
                  selected={target === 'local'}
                  onSelect={() => setTarget('local')}
                  icon={<FlaskConical />}
                  title="Try it locally"
                  description="A GitLab on this computer with sample projects."
                />
              )}
            </div>
            <div className="choice-panel">
              {target === 'gitlab.com' && <OAuthConnect onConnected={setConnected} />}
              {target === 'local' && <TryLocally onConnected={setConnected} />}
              {target === 'self-hosted' && (
                <div className="split">
                  <SelfHostedForm
                    onConnected={setConnected}
                    onUseOAuth={(url, network) => {
                      setOauthInstance(url);
                      setOauthNetwork(network);
                      setTarget('self-hosted-oauth');
                    }}
                  />
                  <PatGuide />
                </div>
              )}
              {target === 'self-hosted-oauth' && (
                <div className="stack">
                  <p className="muted">
                    Signing in to <strong>{oauthInstance}</strong> with OAuth works when your administrator has
                    registered coSPEC as an OAuth application on that instance.{' '}
                    <button type="button" className="link-button" onClick={() => setTarget('self-hosted')}>
                      Use a token instead
                    </button>
                  </p>
                  <OAuthConnect
                    instanceUrl={oauthInstance}
                    network={oauthNetwork}
                    onConnected={setConnected}
                    autoStart
                  />
                </div>
              )}
            </div>
          </Card>
        )}
      </section>

      <section aria-labelledby="bot-heading" className="callout">
        <h3 id="bot-heading">Use a dedicated GitLab user</h3>
        <p className="muted">
          Connect a bot user such as <code>cospec-bot</code> rather than your personal account. Agent activity stays
          clearly attributed, access doesn’t break when someone leaves the team, and every action the agent takes is
          easy to audit.
        </p>
      </section>

      <section aria-labelledby="accounts-heading">
        <div className="section-title" id="accounts-heading">
          Connected accounts
        </div>
        <AccountList
          compact
          emptyText="No GitLab accounts yet. Connect gitlab.com or a self-hosted instance above; you can connect several at once."
        />
      </section>
    </div>
  );
}

function Choice({
  selected,
  onSelect,
  icon,
  title,
  description,
}: {
  selected: boolean;
  onSelect(): void;
  icon: React.ReactNode;
  title: string;
  description: string;
}) {
  return (
    <button
      type="button"
      role="radio"
      aria-checked={selected}
      className={cx('choice', selected && 'choice-selected')}
      onClick={onSelect}
    >
      <span className="choice-icon">{icon}</span>
      <span className="choice-text">
        <span className="choice-title">{title}</span>
        <span className="choice-description">{description}</span>
      </span>
      <span className="choice-radio" aria-hidden />
    </button>
  );
}
