import { RotateCcw, ShieldCheck, ShieldX } from 'lucide-react';
import { useRerun } from '../../api/runs';
import { useSettings } from '../../api/settings';
import { navigate } from '../../app/navigation';
import { Button, ErrorBanner } from '../../components';
import type { RunRecord } from '../../../src-shared/model/run';

type Attempt = RunRecord['egress'][number];

interface HostGroup {
  host: string;
  verdict: Attempt['verdict'];
  /** The host:port destinations tried, each as the allowlist entry that would open it. */
  destinations: string[];
  reasons: string[];
  count: number;
  requests: string[];
  /** Allowing these destinations would let the agent through (no address rule stands in the way). */
  allowable: boolean;
}

/** "[::1]:443" → "[::1]", "pypi.org:443" → "pypi.org". */
const hostOf = (destination: string) => destination.replace(/:\d+$/, '');

/** Repeated attempts at one host (any port, any request) become one row. */
export function groupByHost(attempts: Attempt[]): HostGroup[] {
  const groups = new Map<string, HostGroup>();
  for (const a of attempts) {
    const key = `${a.verdict} ${hostOf(a.destination)}`;
    const g = groups.get(key) ?? {
      host: hostOf(a.destination),
      verdict: a.verdict,
      destinations: [],
      reasons: [],
      count: 0,
      requests: [],
      allowable: true,
    };
    g.destinations.push(a.destination);
    if (a.reason && !g.reasons.includes(a.reason)) g.reasons.push(a.reason);
    g.count += a.count;
    g.allowable &&= a.allowable === true;
    for (const r of a.requests ?? []) if (!g.requests.includes(r)) g.requests.push(r);
    groups.set(key, g);
  }
  // Denied hosts first (the ones a user may want to allow), then by how often they were tried.
  return [...groups.values()].sort((a, b) =>
    a.verdict === b.verdict ? b.count - a.count : a.verdict === 'denied' ? -1 : 1,
  );
}

/**
 * Where the agent tried to connect and what the allowlist said, one row per host with the
 * requests that asked. A denied host can be allowed and the task started again in one click,
 * unless the organization's policy keeps the allowlist to itself.
 */
export function EgressPanel({ run }: { run: RunRecord }) {
  const groups = groupByHost(run.egress);
  const denied = groups.filter((g) => g.verdict === 'denied');
  const allowable = denied.filter((g) => g.allowable);
  const settings = useSettings();
  const rerun = useRerun();
  const userAdditionsAllowed = settings.data?.egress.userAdditionsAllowed ?? true;
  const allowAndRerun = (g: HostGroup) =>
    rerun.mutate(
      { runId: run.id, allow: g.destinations },
      { onSuccess: (next) => navigate({ name: 'runs', runId: next.id }) },
    );
  return (
    <div className="egress">
      {groups.length === 0 ? (
        <p className="muted">No connection attempts recorded{run.state === 'queued' ? ' yet' : ''}.</p>
      ) : (
        <>
          {denied.length > 0 && (
            <p className="egress-hint">
              {denied.length === 1 ? 'One host was' : `${denied.length} hosts were`} blocked.{' '}
              {allowable.length === 0
                ? 'The sandbox never lets the agent reach these addresses.'
                : userAdditionsAllowed
                  ? '“Allow and run again” adds that host to your allowed destinations (Settings → Network) and starts the same task again.'
                  : 'Your organization manages the allowlist: ask your administrator to add a host the agent needs.'}
            </p>
          )}
          {rerun.error && <ErrorBanner error={rerun.error} title="Could not start the run again" />}
          <table className="table egress-table">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Verdict</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">
                  <span className="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={`${g.host}-${g.verdict}`} data-verdict={g.verdict} data-host={g.host}>
                  <td>
                    <div className="mono">{g.host}</div>
                    <div className="egress-ports">
                      {g.destinations.length === 1 ? 'port ' : 'ports '}
                      {g.destinations.map((d) => d.slice(g.host.length + 1)).join(', ')}
                    </div>
                    {g.requests.length > 0 && (
                      <ul className="egress-requests" aria-label={`Requests to ${g.host}`}>
                        {g.requests.map((r) => (
                          <li key={r} className="mono">
                            {r}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    {g.verdict === 'allowed' ? (
                      <span className="verdict verdict-allowed">
                        <ShieldCheck aria-hidden /> allowed
                      </span>
                    ) : (
                      <span className="verdict verdict-denied" title={g.reasons.join('; ')}>
                        <ShieldX aria-hidden /> denied{g.reasons.length ? ` — ${g.reasons.join('; ')}` : ''}
                      </span>
                    )}
                  </td>
                  <td className="num">{g.count}</td>
                  <td className="egress-action">
                    {g.verdict === 'denied' && g.allowable && (
                      <Button
                        size="sm"
                        icon={<RotateCcw aria-hidden />}
                        disabled={!userAdditionsAllowed || rerun.isPending}
                        busy={rerun.isPending && rerun.variables?.allow === g.destinations}
                        title={
                          userAdditionsAllowed
                            ? `Add ${g.destinations.join(', ')} to your allowed destinations and start this task again`
                            : 'Your organization manages the egress allowlist; you cannot add destinations.'
                        }
                        onClick={() => allowAndRerun(g)}
                      >
                        Allow and run again
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {run.allowlist.length > 0 && (
        <details className="allowlist">
          <summary>Allowlist for this run ({run.allowlist.length})</summary>
          <ul className="chips">
            {run.allowlist.map((d) => (
              <li key={d} className="chip mono">
                {d}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
