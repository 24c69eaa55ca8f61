import { useState } from 'react';
import { Bot, KeyRound } from 'lucide-react';
import { Badge, Button, Card, CardBody, CardHeader, ErrorBanner, TextField } from '../../components';
import { toUiError } from '../../api/client';
import { useSetAgentKey, type AgentInfo, type SettingsView } from '../../api/settings';

function AgentRow({ agent }: { agent: AgentInfo }) {
  const setKey = useSetAgentKey();
  const [key, setKeyValue] = useState('');
  return (
    <li className="agent-row">
      <div className="agent-main">
        <div className="row">
          <strong>{agent.label}</strong>
          {!agent.allowed && <Badge tone="warning">Not allowed by your organization</Badge>}
          {agent.modelKeyLabel &&
            (agent.hasKey ? (
              <Badge tone="success" dot>
                Key stored
              </Badge>
            ) : (
              <Badge tone="neutral">No key yet</Badge>
            ))}
        </div>
        <span className="muted">
          {agent.modelDomains.length
            ? `Calls ${agent.modelDomains.join(', ')} through coSPEC’s model gateway`
            : 'Needs no model API'}
        </span>
      </div>
      {agent.modelKeyLabel && agent.allowed && (
        <form
          className="row agent-key"
          onSubmit={(e) => {
            e.preventDefault();
            setKey.mutate({ agent: agent.name, key: key.trim() }, { onSuccess: () => setKeyValue('') });
          }}
        >
          <TextField
            label={agent.modelKeyLabel}
            type="password"
            autoComplete="off"
            value={key}
            onChange={(e) => setKeyValue(e.currentTarget.value)}
          />
          <Button type="submit" icon={<KeyRound />} disabled={key.trim().length < 8} busy={setKey.isPending}>
            {agent.hasKey ? 'Replace' : 'Save'}
          </Button>
          {agent.hasKey && (
            <Button variant="danger-ghost" onClick={() => setKey.mutate({ agent: agent.name, key: null })}>
              Remove
            </Button>
          )}
        </form>
      )}
      {setKey.error && <ErrorBanner error={toUiError(setKey.error)} />}
    </li>
  );
}

/** The agents a run can use, with their model keys kept in the OS's secure storage. */
export function AgentsCard({ view }: { view: SettingsView }) {
  return (
    <Card>
      <CardHeader
        icon={<Bot />}
        title="Agents"
        description="Model keys are kept in your system's secure storage and never enter a run's container: coSPEC adds them to the agent's model calls outside the sandbox."
      />
      <CardBody>
        <ul className="agent-list">
          {view.agents.list.map((a) => (
            <AgentRow key={a.name} agent={a} />
          ))}
        </ul>
        <p className="muted">
          {view.agents.customCommandsAllowed
            ? 'You can also run any command as the agent from the run form.'
            : 'Your organization allows only the agents above, not custom commands.'}
        </p>
      </CardBody>
    </Card>
  );
}
