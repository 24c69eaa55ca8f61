import type { MergeRequestRecord } from '../model';
import type { Store } from '../store';

/*
 * GitLab's asynchronous mergeability, as doc/api/merge_requests.md ("Merge status", "Single merge
 * request response notes") and the merge endpoint in lib/api/merge_requests.rb describe it:
 *
 * - A new MR is `preparing` (detailed_merge_status `preparing`, prepared_at null) until its
 *   after-create job ran, then `checking` until the first check finished.
 * - A push to the source branch (or to the target) marks it `unchecked`; nothing checks it until an
 *   API answer presents it without skip_merge_status_recheck (the single MR, create, update; lists only
 *   with with_merge_status_recheck=true), which starts a background check: `checking`.
 * - While a background check holds its lease, the merge endpoint cannot check synchronously and
 *   answers 422 "Branch cannot be merged". From `unchecked` it checks synchronously and merges.
 *
 * Store.mergeabilityDelayMs is how long each background phase lasts; while Store.mergeabilityHeld
 * (a test control) is set, no background phase ends, so a test sees them without racing the clock.
 */

export type MergeStatusWord = 'preparing' | 'unchecked' | 'checking' | 'checked';

/** The record of a just-created MR. */
export function preparing(store: Store): Pick<MergeRequestRecord, 'mergeability' | 'prepared_at'> {
  const delay = store.mergeabilityDelayMs;
  if (delay <= 0 && !store.mergeabilityHeld)
    return { mergeability: { phase: 'checked', ready_at: 0 }, prepared_at: store.nowIso() };
  return { mergeability: { phase: 'preparing', ready_at: store.now().getTime() + delay }, prepared_at: null };
}

/** A push moved one of the MR's branches: its last check no longer holds. */
export function markUnchecked(mr: MergeRequestRecord): void {
  if (mr.state !== 'opened') return;
  // A preparing MR keeps preparing: its first check runs after preparation anyway.
  if (mr.mergeability.phase !== 'preparing') mr.mergeability = { phase: 'unchecked', ready_at: 0 };
}

/**
 * Moves the MR through the phases whose time is up; `recheck` is a read that starts a background
 * check of an unchecked MR (GitLab's check_mergeability(async: true)). Returns the phase now.
 */
export function advance(store: Store, mr: MergeRequestRecord, recheck: boolean): MergeStatusWord {
  const now = store.now().getTime();
  // A held check ends no phase: as if its background job had not run yet.
  const due = (readyAt: number) => {
    if (!store.mergeabilityHeld) return now >= readyAt;
    if (store.mergeabilitySteps <= 0) return false;
    store.mergeabilitySteps--;
    return true;
  };
  const delay = store.mergeabilityDelayMs;
  const m = mr.mergeability;
  if (m.phase === 'preparing' && due(m.ready_at)) {
    mr.prepared_at = new Date(m.ready_at).toISOString();
    mr.mergeability = { phase: 'checking', ready_at: m.ready_at + delay };
  }
  if (mr.mergeability.phase === 'unchecked' && recheck && mr.state === 'opened')
    mr.mergeability = { phase: 'checking', ready_at: now + delay };
  if (mr.mergeability.phase === 'checking' && due(mr.mergeability.ready_at))
    mr.mergeability = { phase: 'checked', ready_at: 0 };
  return mr.mergeability.phase;
}

/** The merge endpoint's synchronous check: possible unless a background job holds the check. */
export function checkNow(store: Store, mr: MergeRequestRecord): boolean {
  const phase = advance(store, mr, false);
  if (phase === 'unchecked') mr.mergeability = { phase: 'checked', ready_at: 0 };
  return mr.mergeability.phase === 'checked';
}
