import { CospecError } from '../../../src-shared/ipc/errors';
import type { RunRecord, RunSpec } from '../../../src-shared/model/run';
import { readGatewayLog } from '../gateway';
import type { RunStore } from './store';

/**
 * A follow-up run (`RunSpec.continues`) works on what an earlier run left: the gateway lets it
 * fast-forward — never rewrite or delete — the branches that run created, and the ones that run
 * itself inherited, so a chain of follow-ups keeps working on the same branch. Taken from the
 * runs' own gateway logs (what GitLab accepted through the gateway), not from anything the agent
 * or GitLab could have renamed since.
 */

/** A chain longer than this is refused rather than walked (each step reads a log). */
const MAX_CHAIN = 20;

/** Checks that a follow-up names a run it may continue; throws INVALID_INPUT before a run exists. */
export async function assertContinuable(store: RunStore, spec: RunSpec): Promise<RunRecord | undefined> {
  if (!spec.continues) return undefined;
  // Run ids are UUIDs; anything else could name a folder outside the runs directory.
  const parent = /^[A-Za-z0-9-]{1,64}$/.test(spec.continues) ? await store.get(spec.continues) : undefined;
  if (!parent || parent.id !== spec.continues)
    throw new CospecError(
      'INVALID_INPUT',
      `There is no run ${spec.continues} to continue. Pick one from the run list.`,
    );
  if (
    parent.spec.accountId !== spec.accountId ||
    parent.spec.projectPath.toLowerCase() !== spec.projectPath.toLowerCase()
  )
    throw new CospecError(
      'INVALID_INPUT',
      `Run ${parent.id} worked on ${parent.spec.projectPath}; a follow-up must use the same account and project.`,
    );
  return parent;
}

/** The branches a run may fast-forward because of the run it continues (empty for a first run). */
export async function inheritedBranches(store: RunStore, spec: RunSpec): Promise<string[]> {
  const branches = new Set<string>();
  const seen = new Set<string>();
  let next = spec.continues;
  while (next) {
    if (seen.has(next)) break;
    if (seen.size >= MAX_CHAIN)
      throw new CospecError(
        'INVALID_INPUT',
        `This run continues a chain of more than ${MAX_CHAIN} runs; start a new run instead.`,
      );
    seen.add(next);
    const parent = /^[A-Za-z0-9-]{1,64}$/.test(next) ? await store.get(next) : undefined;
    if (!parent || parent.id !== next) break;
    for (const branch of await createdBranches(store, parent, spec.projectPath)) branches.add(branch);
    next = parent.spec.continues;
  }
  return [...branches];
}

/** Branches a run's pushes created (and did not delete again) in the project, per its gateway log. */
async function createdBranches(store: RunStore, run: RunRecord, projectPath: string): Promise<string[]> {
  const record = await readGatewayLog(store.paths(run.id).gatewayLog, run.id, run.instanceUrl, [run.spec.projectPath]);
  const live = new Set<string>();
  for (const push of record.pushes) {
    if (push.result !== 'ok' || !push.branch || push.projectPath.toLowerCase() !== projectPath.toLowerCase()) continue;
    if (push.change === 'deleted') live.delete(push.branch);
    else live.add(push.branch);
  }
  return [...live];
}
