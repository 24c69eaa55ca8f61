import { useState } from 'react';
import { Container, RefreshCw } from 'lucide-react';
import {
  Badge,
  Button,
  Card,
  CardBody,
  CardFooter,
  CardHeader,
  ErrorBanner,
  Notice,
  Spinner,
  TextField,
} from '../../components';
import { toUiError } from '../../api/client';
import { useEngineStatus, useUpdateSettings, type SettingsView } from '../../api/settings';

/** Which container engine runs the sandboxes, whether it answers, and what to do when it does not. */
export function EngineCard({ view }: { view: SettingsView }) {
  const status = useEngineStatus();
  const update = useUpdateSettings();
  const [socket, setSocket] = useState<string>();
  const value = socket ?? view.sandbox.engine ?? '';
  const save = (next: string | null) =>
    update.mutate({ containerSocket: next }, { onSuccess: () => (setSocket(undefined), void status.refetch()) });

  return (
    <Card>
      <CardHeader
        icon={<Container />}
        title="Container engine"
        description="Docker, Podman, Colima or Rancher Desktop, local or remote (DOCKER_HOST-style ssh:// or tcp://)."
        actions={
          <Button
            variant="ghost"
            size="sm"
            icon={<RefreshCw />}
            busy={status.isFetching}
            onClick={() => void status.refetch()}
          >
            Check again
          </Button>
        }
      />
      <CardBody>
        {status.isPending ? (
          <Spinner label="Looking for a container engine" />
        ) : status.data?.ok ? (
          <div className="row engine-status">
            <Badge tone="success" dot>
              Ready
            </Badge>
            <span>
              {status.data.engine} {status.data.version} at <code>{status.data.endpoint}</code>
            </span>
          </div>
        ) : status.data ? (
          <Notice
            tone="warning"
            title={status.data.engine ? 'The sandbox image is missing' : 'The container engine cannot be used'}
          >
            {status.data.message}
          </Notice>
        ) : null}
        <form
          className="row settings-add"
          onSubmit={(e) => {
            e.preventDefault();
            save(value.trim() || null);
          }}
        >
          <TextField
            label="Engine socket or URL"
            placeholder="Found automatically"
            hint="Leave empty to find it where engines usually listen."
            value={value}
            onChange={(e) => setSocket(e.currentTarget.value)}
          />
          <Button type="submit" disabled={socket === undefined} busy={update.isPending}>
            Use this engine
          </Button>
        </form>
        {update.error && <ErrorBanner error={toUiError(update.error)} />}
      </CardBody>
      {view.sandbox.engine && (
        <CardFooter>
          <Button variant="ghost" onClick={() => save(null)}>
            Find automatically
          </Button>
        </CardFooter>
      )}
    </Card>
  );
}
