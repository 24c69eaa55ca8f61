import { ShieldX } from 'lucide-react';
import type { ModelUsage } from '../../../src-shared/model/run';

const API_LABEL: Record<string, string> = { anthropic: 'Anthropic', openai: 'OpenAI' };
const n = (value: number) => value.toLocaleString();

/**
 * What the agent's model calls cost, as the APIs reported it to the model gateway (the key was
 * added there, outside the sandbox), and the model API requests the gateway refused.
 */
export function ModelUsagePanel({ usage }: { usage: ModelUsage }) {
  const total = usage.calls.reduce(
    (sum, c) => ({
      requests: sum.requests + c.requests,
      input: sum.input + c.inputTokens,
      output: sum.output + c.outputTokens,
    }),
    { requests: 0, input: 0, output: 0 },
  );
  return (
    <div className="model-usage" data-testid="model-usage">
      {usage.calls.length === 0 ? (
        <p className="muted">The agent made no model calls.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col" className="num">
                Requests
              </th>
              <th scope="col" className="num">
                Input tokens
              </th>
              <th scope="col" className="num">
                Output tokens
              </th>
            </tr>
          </thead>
          <tbody>
            {usage.calls.map((c) => (
              <tr key={`${c.api}-${c.model}`}>
                <td>
                  <span className="muted">{API_LABEL[c.api] ?? c.api}</span>{' '}
                  {c.model ? (
                    <span className="mono">{c.model}</span>
                  ) : (
                    <span className="muted" title="Token counts, model lists and answers that named no model">
                      other calls
                    </span>
                  )}
                </td>
                <td className="num">{n(c.requests)}</td>
                <td className="num" title={c.cachedInputTokens ? `${n(c.cachedInputTokens)} read from the cache` : ''}>
                  {n(c.inputTokens)}
                  {c.cachedInputTokens > 0 && <span className="muted"> ({n(c.cachedInputTokens)} cached)</span>}
                </td>
                <td className="num">{n(c.outputTokens)}</td>
              </tr>
            ))}
          </tbody>
          {usage.calls.length > 1 && (
            <tfoot>
              <tr>
                <th scope="row">Total</th>
                <td className="num">{n(total.requests)}</td>
                <td className="num">{n(total.input)}</td>
                <td className="num">{n(total.output)}</td>
              </tr>
            </tfoot>
          )}
        </table>
      )}
      {usage.refused.length > 0 && (
        <ul className="model-refusals" aria-label="Refused model calls">
          {usage.refused.map((r) => (
            <li key={`${r.api}-${r.target}-${r.reason}`} className="verdict verdict-denied">
              <ShieldX aria-hidden /> <span className="mono">{r.target}</span> refused ({r.count}×) — {r.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
