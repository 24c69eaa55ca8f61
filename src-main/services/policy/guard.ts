import { CospecError } from '../../../src-shared/ipc/errors';
import type { RunSpec } from '../../../src-shared/model/run';
import { formatHost, normaliseHost } from '../../platform/host';
import { checkAllowEntry, describeEntry, parseAllowEntry } from '../sandbox/allowlist';
import type { PolicyState } from './load';
import type { ManagedInstance, Policy } from './schema';

/** A setting's effective value and whether the organisation's policy decided it. */
export interface Effective<T> {
  value: T;
  managed: boolean;
}

const GITLAB_COM = 'gitlab.com';

/**
 * Compares instance URLs the way users mean them: the host in its one normalised form
 * (src-main/platform/host.ts: case, trailing dot, IDN, IP literal spellings), no trailing slash or /api/v4.
 */
export function instanceKey(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api\/v4$/i, '');
  const host = normaliseHost(u.hostname) ?? u.hostname;
  return `${u.protocol}//${formatHost(host)}${u.port ? `:${u.port}` : ''}${path}`;
}

/**
 * Answers every "may I?" and "which value?" question from the policy, so services never read the
 * policy file themselves. Policy beats user settings; an invalid policy fails closed.
 */
export class PolicyGuard {
  constructor(readonly state: PolicyState) {}

  private get policy(): Policy | undefined {
    return this.state.status === 'active' ? this.state.policy : undefined;
  }

  /** Throws POLICY_FORBIDS while the policy file is invalid: nothing guarded may happen on a broken policy. */
  assertUsable(): void {
    if (this.state.status === 'invalid') {
      throw new CospecError(
        'POLICY_FORBIDS',
        `Your organization's coSPEC policy (${this.state.path}) is invalid, so this action is blocked until an admin fixes it.`,
        this.state.problems.join('\n'),
      );
    }
  }

  managedInstances(): ManagedInstance[] {
    return this.policy?.gitlab?.instances ?? [];
  }

  managedInstance(instanceUrl: string): ManagedInstance | undefined {
    const key = instanceKey(instanceUrl);
    return this.managedInstances().find((i) => instanceKey(i.url) === key);
  }

  /** Throws POLICY_FORBIDS when the organisation does not allow connecting this instance. */
  assertInstanceAllowed(instanceUrl: string): void {
    this.assertUsable();
    const gitlab = this.policy?.gitlab;
    if (!gitlab || this.managedInstance(instanceUrl)) return;
    const isGitLabCom = normaliseHost(new URL(instanceUrl).hostname) === GITLAB_COM;
    if (isGitLabCom && !gitlab.allowGitLabCom) {
      throw new CospecError('POLICY_FORBIDS', 'Your organization does not allow connecting gitlab.com accounts.');
    }
    if (!isGitLabCom && !gitlab.allowOtherInstances) {
      const allowed =
        this.managedInstances()
          .map((i) => i.url)
          .join(', ') || 'none';
      throw new CospecError('POLICY_FORBIDS', `Your organization allows only these GitLab instances: ${allowed}.`);
    }
  }

  /** The OAuth application id the admin registered for this instance, if any. */
  oauthApplicationId(instanceUrl: string): string | undefined {
    return this.managedInstance(instanceUrl)?.oauthApplicationId;
  }

  /**
   * Egress allowlist entries: the policy's are forced; the user's are dropped when additions are
   * forbidden, and so is any user entry `checkUserEntry` refuses (settings written by an older version).
   */
  egressAllowlist(userEntries: string[]): Effective<string[]> & { ignoredUserEntries: string[] } {
    const egress = this.policy?.egress;
    const additions = egress?.allowUserAdditions ?? true;
    const kept: string[] = [];
    const ignored: string[] = [];
    for (const raw of userEntries) {
      const checked = additions ? checkAllowEntry(raw, { allowPrivate: this.privateDestinationsAllowed() }) : undefined;
      if (checked && 'text' in checked) kept.push(checked.text);
      else ignored.push(raw);
    }
    const forced = (egress?.allow ?? []).map(canonicalEntry);
    return { value: [...new Set([...forced, ...kept])], managed: !additions, ignoredUserEntries: ignored };
  }

  /** Whether users' allowlist entries may name or resolve to loopback, private or metadata addresses. */
  privateDestinationsAllowed(): boolean {
    return this.policy?.egress?.allowPrivateDestinations === true;
  }

  /**
   * Whether an allowlist entry (canonical text) may name or resolve to loopback, private,
   * link-local or metadata addresses: the policy's own entries, or any when the policy allows it.
   */
  mayReachPrivate(entry: string): boolean {
    if (this.state.status !== 'active') return false;
    if (this.privateDestinationsAllowed()) return true;
    const canonical = canonicalEntry(entry);
    return (this.policy?.egress?.allow ?? []).some((e) => canonicalEntry(e) === canonical);
  }

  /** The canonical text of a user's allowlist entry, or INVALID_INPUT / POLICY_FORBIDS saying why it is refused. */
  checkUserEntry(raw: string): string {
    const checked = checkAllowEntry(raw, { allowPrivate: this.privateDestinationsAllowed() });
    if ('text' in checked) return checked.text;
    const code = /organization's policy/.test(checked.reason) ? 'POLICY_FORBIDS' : 'INVALID_INPUT';
    throw new CospecError(code, checked.reason);
  }

  /**
   * Refuses a run whose own options go beyond the policy, before it exists: the agent, a time
   * limit above the pinned one, and extra destinations the policy forbids. The IPC dispatcher,
   * the CLI and the UI all start runs through here, so none of them can ask for more.
   */
  assertRunAllowed(spec: Pick<RunSpec, 'agent' | 'allow' | 'timeoutMinutes'>): void {
    this.assertUsable();
    this.assertAgentAllowed(spec.agent.kind === 'adapter' ? spec.agent : { kind: 'command' });
    const pinned = this.policy?.sandbox?.timeoutMinutes;
    if (pinned !== undefined && spec.timeoutMinutes !== undefined && spec.timeoutMinutes > pinned)
      throw new CospecError(
        'POLICY_FORBIDS',
        `Your organization limits runs to ${pinned} minutes; ${spec.timeoutMinutes} was asked. Leave the time limit out or ask for ${pinned} or less.`,
      );
    if (spec.allow.length > 0 && this.policy?.egress?.allowUserAdditions === false)
      throw new CospecError(
        'POLICY_FORBIDS',
        `Your organization manages the egress allowlist; a run cannot add destinations (${spec.allow.join(', ')}).`,
      );
    for (const entry of spec.allow) this.checkUserEntry(entry);
  }

  /** A sandbox setting: the policy's pinned value when set, else the user's, else the app default. */
  sandboxSetting<K extends 'image' | 'cpus' | 'memoryMb' | 'pidsLimit' | 'timeoutMinutes'>(
    key: K,
    userValue: NonNullable<Policy['sandbox']>[K] | undefined,
    appDefault: NonNullable<NonNullable<Policy['sandbox']>[K]>,
  ): Effective<NonNullable<NonNullable<Policy['sandbox']>[K]>> {
    const pinned = this.policy?.sandbox?.[key];
    if (pinned !== undefined) return { value: pinned as NonNullable<typeof pinned>, managed: true };
    return { value: (userValue ?? appDefault) as NonNullable<typeof appDefault>, managed: false };
  }

  /** Throws POLICY_FORBIDS when this agent (or any custom command) is not allowed. */
  assertAgentAllowed(agent: { kind: 'adapter'; name: string } | { kind: 'command' }): void {
    this.assertUsable();
    const sandbox = this.policy?.sandbox;
    if (!sandbox) return;
    if (agent.kind === 'command' && !sandbox.allowCustomCommands) {
      throw new CospecError(
        'POLICY_FORBIDS',
        'Your organization allows only its approved agents, not custom commands.',
      );
    }
    if (agent.kind === 'adapter' && sandbox.allowedAgents && !sandbox.allowedAgents.includes(agent.name)) {
      throw new CospecError(
        'POLICY_FORBIDS',
        `Your organization does not allow the agent "${agent.name}". Allowed: ${sandbox.allowedAgents.join(', ') || 'none'}.`,
      );
    }
  }

  /** The branch prefix for agent pushes: the policy's when pinned, else the user's, else the default. */
  branchPrefix(userValue: string | undefined, appDefault: string): Effective<string> {
    const pinned = this.policy?.pushes?.branchPrefix;
    if (pinned !== undefined) return { value: pinned, managed: true };
    return { value: userValue ?? appDefault, managed: false };
  }

  /** Whether the gateway adds ci.skip to agent pushes: the policy's when it says, else the user's (off by default). */
  ciSkip(userValue: boolean | undefined): Effective<boolean> {
    const pinned = this.policy?.pushes?.ciSkip;
    if (pinned !== undefined) return { value: pinned, managed: true };
    return { value: userValue ?? false, managed: false };
  }

  /** Whether background update checks run: off when the policy disables them, whatever the user chose. */
  updatesEnabled(userPreference: boolean): Effective<boolean> {
    const updates = this.policy?.updates;
    if (updates && !updates.enabled) return { value: false, managed: true };
    return { value: userPreference, managed: false };
  }
}

/** The canonical text of an entry (the policy's are validated at load), or the trimmed text when it is none. */
function canonicalEntry(raw: string): string {
  const entry = parseAllowEntry(raw);
  return entry ? describeEntry(entry) : raw.trim().toLowerCase();
}
