import { ShieldX } from 'lucide-react';
import type { GatewayRefusalSummary } from '../../../src-shared/model/run';

/** How each kind of refusal is named; a kind added to the model later still shows, under its own name. */
const KIND_LABELS: Record<string, string> = {
  push: 'Push',
  push_option: 'Push option',
  api: 'API call',
  quick_action: 'Quick action',
};

/**
 * What the credential gateway refused the agent — pushes outside its branches, push options, API
 * calls and quick actions — with the reason the agent was given. Shown next to the network panel:
 * both are the sandbox saying no.
 */
export function RefusalsPanel({ refusals }: { refusals: GatewayRefusalSummary[] }) {
  const total = refusals.reduce((n, r) => n + r.count, 0);
  return (
    <div className="egress refusals">
      <p className="egress-hint">
        {total === 1 ? 'One attempt was' : `${total} attempts were`} refused before reaching GitLab; nothing of them was
        applied.
      </p>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">What</th>
            <th scope="col">Why</th>
            <th scope="col" className="num">
              Attempts
            </th>
          </tr>
        </thead>
        <tbody>
          {refusals.map((r) => (
            <tr key={`${r.kind}\u0000${r.target}\u0000${r.reason}`} data-kind={r.kind}>
              <td>
                <span className="verdict verdict-denied">
                  <ShieldX aria-hidden /> {KIND_LABELS[r.kind] ?? r.kind}
                </span>
              </td>
              <td className="mono">{r.target}</td>
              <td className="refusal-reason">{r.reason}</td>
              <td className="num">{r.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
