import { ShieldCheck, ShieldX } from 'lucide-react';
import type { RunRecord } from '../../../src-shared/model/run';

/**
 * Where the agent tried to connect and what the allowlist said. Denied destinations come first:
 * they are the ones a user may want to add for the next run.
 */
export function EgressPanel({ run }: { run: RunRecord }) {
  const attempts = [...run.egress].sort((a, b) =>
    a.verdict === b.verdict ? b.count - a.count : a.verdict === 'denied' ? -1 : 1,
  );
  const denied = attempts.filter((a) => a.verdict === 'denied').length;
  return (
    <div className="egress">
      {attempts.length === 0 ? (
        <p className="muted">No connection attempts recorded{run.state === 'queued' ? ' yet' : ''}.</p>
      ) : (
        <>
          {denied > 0 && (
            <p className="egress-hint">
              {denied === 1 ? 'One destination was' : `${denied} destinations were`} blocked. Add it under “Extra
              allowed destinations” when you start the next run if the agent needs it.
            </p>
          )}
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Destination</th>
                <th scope="col">Verdict</th>
                <th scope="col" className="num">
                  Attempts
                </th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr key={`${a.destination}-${a.verdict}`} data-verdict={a.verdict}>
                  <td className="mono">{a.destination}</td>
                  <td>
                    {a.verdict === 'allowed' ? (
                      <span className="verdict verdict-allowed">
                        <ShieldCheck aria-hidden /> allowed
                      </span>
                    ) : (
                      <span className="verdict verdict-denied" title={a.reason}>
                        <ShieldX aria-hidden /> denied{a.reason ? ` — ${a.reason}` : ''}
                      </span>
                    )}
                  </td>
                  <td className="num">{a.count}</td>
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
