import type { GatewayRefusalSummary } from '../../../src-shared/model/run';
import type { GatewayRecord } from '../gateway';

/** More distinct refusals than this are not worth a row each; the rest are counted in the last one. */
const MAX_GROUPS = 200;

/**
 * What the credential gateway refused during a run (pushes, push options, API calls, quick
 * actions — whatever kinds the record holds), grouped by kind, target and reason with a count, as
 * the run shows denied egress destinations.
 */
export function summariseRefusals(gatewayRecord: GatewayRecord | undefined): GatewayRefusalSummary[] {
  if (!gatewayRecord) return [];
  const groups = new Map<string, GatewayRefusalSummary>();
  let overflow: GatewayRefusalSummary | undefined;
  for (const r of gatewayRecord.refusals) {
    const key = JSON.stringify([r.kind, r.target, r.reason]);
    const hit = groups.get(key);
    if (hit) hit.count += 1;
    else if (groups.size < MAX_GROUPS) groups.set(key, { kind: r.kind, target: r.target, reason: r.reason, count: 1 });
    else {
      overflow ??= { kind: r.kind, target: '(more)', reason: 'further refusals, not listed one by one', count: 0 };
      overflow.count += 1;
    }
  }
  return overflow ? [...groups.values(), overflow] : [...groups.values()];
}
