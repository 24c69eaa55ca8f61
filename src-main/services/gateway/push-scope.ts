import { DEFAULT_BRANCH_PREFIX } from '../../../src-shared/model/push-scope';
import type { RefUpdateCommand } from './pkt-line';

/**
 * What an agent may push, decided per ref update before anything reaches GitLab (pure; the I/O is
 * in push-guard.ts). The agent works on branches of its own, under the run's prefix, like
 * GitHub's coding agent on `copilot/` branches: it may create them, and update, force-push or
 * delete the ones this run created. Everything a person relies on stays out of reach: the default
 * branch, protected branches, tags and every other kind of ref, and branches the run did not
 * create. A follow-up run may fast-forward the branches of the run it continues — only
 * fast-forward, because rewriting them would silently discard reviewed work.
 */

export interface PushScope {
  /** Branches the agent may create start with this, e.g. "cospec/". */
  prefix: string;
  /** Branches of the run this one continues: fast-forward only. */
  inheritedBranches: string[];
  /** Add `ci.skip` to every push, so no pipeline runs agent code until a person starts one. */
  ciSkip: boolean;
}

export { DEFAULT_BRANCH_PREFIX };
export const DEFAULT_PUSH_SCOPE: PushScope = { prefix: DEFAULT_BRANCH_PREFIX, inheritedBranches: [], ciSkip: false };

/**
 * Push options that may pass. Only `ci.skip`: it can only make GitLab do less (no pipeline for
 * this push). Everything else acts outside the record or the allowlist: `merge_request.*` opens,
 * retargets, labels or auto-merges merge requests the app never sees (the API, which is recorded
 * and allowlisted, is the way to open one), `ci.variable` injects pipeline variables (which can
 * change what a pipeline runs and with which secrets), `integrations.skip_ci` and the rest change
 * what GitLab does on a person's behalf.
 */
export const ALLOWED_PUSH_OPTIONS = ['ci.skip'] as const;

/** What the gateway learned from GitLab about the project, fresh for each push. */
export interface BranchRules {
  defaultBranch: string | null;
  /** Protected branch names and wildcard patterns (`release/*`, `*-stable`). */
  protectedPatterns: string[];
}

export type RefDecision = { ok: true; check?: 'fast-forward' } | { ok: false; kind: 'push'; reason: string };

const ZERO = /^0+$/;

/** GitLab's wildcard rule (RefMatcher): `*` matches any characters, `/` included; otherwise exact. */
export function matchesProtected(pattern: string, branch: string): boolean {
  if (!pattern.includes('*')) return pattern === branch;
  const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 's');
  return re.test(branch);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Branch names git itself would refuse (git-check-ref-format), checked here so no odd name reaches a rule. */
export function badBranchName(name: string): string | undefined {
  if (!name) return 'an empty branch name';
  if (name.length > 255) return 'a branch name longer than 255 characters';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'a branch name with a space, control or special character';
  if (name.includes('..') || name.includes('@{') || name.includes('//')) return 'a malformed branch name';
  if (name.startsWith('/') || name.endsWith('/') || name.endsWith('.') || name.endsWith('.lock'))
    return 'a malformed branch name';
  if (name.split('/').some((part) => part.startsWith('.'))) return 'a malformed branch name';
  return undefined;
}

/**
 * Decides one ref update.
 * @param created branches this run itself created in this project (it may do anything with those)
 */
export function decideRef(
  cmd: RefUpdateCommand,
  scope: PushScope,
  rules: BranchRules,
  created: ReadonlySet<string>,
): RefDecision {
  const refuse = (reason: string): RefDecision => ({ ok: false, kind: 'push', reason });
  const onlyPrefix = `agents push only to branches under ${scope.prefix}`;
  if (cmd.ref.startsWith('refs/tags/')) return refuse(`tags cannot be pushed by the agent; ${onlyPrefix}`);
  if (!cmd.ref.startsWith('refs/heads/')) return refuse(`only branches can be pushed; ${onlyPrefix}`);
  const branch = cmd.ref.slice('refs/heads/'.length);
  const bad = badBranchName(branch);
  if (bad) return refuse(`${bad} is not accepted`);
  if (rules.defaultBranch !== null && branch === rules.defaultBranch)
    return refuse(`${branch} is the default branch; ${onlyPrefix}`);
  const rule = rules.protectedPatterns.find((p) => matchesProtected(p, branch));
  if (rule !== undefined)
    return refuse(`${branch} is a protected branch${rule === branch ? '' : ` (${rule})`}; ${onlyPrefix}`);

  const creating = ZERO.test(cmd.oldSha);
  const deleting = ZERO.test(cmd.newSha);
  if (created.has(branch)) return { ok: true };
  if (scope.inheritedBranches.includes(branch)) {
    if (deleting)
      return refuse(`${branch} belongs to the run this one continues: it may be fast-forwarded, not deleted`);
    if (creating) return { ok: true };
    return { ok: true, check: 'fast-forward' };
  }
  if (!branch.startsWith(scope.prefix) || branch.length === scope.prefix.length)
    return refuse(`${branch} is outside this run's branches; ${onlyPrefix}`);
  if (creating) return { ok: true };
  if (deleting) return refuse(`${branch} was not created by this run, so it cannot delete it`);
  return refuse(
    `${branch} already exists and was not created by this run, so it cannot update it; push a new branch under ${scope.prefix}`,
  );
}

/** Decides the push options the agent sent: the refused ones, with the reason it is told. */
export function refusedPushOptions(options: readonly string[]): Array<{ key: string; reason: string }> {
  const out: Array<{ key: string; reason: string }> = [];
  for (const option of options) {
    const key = option.split('=', 1)[0]!.trim();
    if ((ALLOWED_PUSH_OPTIONS as readonly string[]).includes(option.trim())) continue;
    const why = key.startsWith('merge_request.')
      ? 'merge requests are opened through the API, where the app records them'
      : key.startsWith('ci.variable')
        ? 'agents may not set pipeline variables'
        : 'only these push options are accepted: ' + ALLOWED_PUSH_OPTIONS.join(', ');
    out.push({ key: key.slice(0, 200), reason: `push option ${key.slice(0, 200)} is not allowed: ${why}` });
  }
  return out;
}
