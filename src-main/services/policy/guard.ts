import { CospecError } from '../../../src-shared/ipc/errors';
import type { PolicyState } from './load';
import type { ManagedInstance, Policy } from './schema';

/** A setting's effective value and whether the organisation's policy decided it. */
export interface Effective<T> {
  value: T;
  managed: boolean;
}

const GITLAB_COM = 'gitlab.com';

/** Compares instance URLs the way users mean them: case-insensitive host, no trailing slash or /api/v4. */
export function instanceKey(url: string): string {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api\/v4$/, '');
  return `${u.protocol}//${u.host.toLowerCase()}${path}`;
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
    const isGitLabCom = new URL(instanceUrl).hostname.toLowerCase() === GITLAB_COM;
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

  /** Egress allowlist entries: the policy's are forced; the user's are dropped when additions are forbidden. */
  egressAllowlist(userEntries: string[]): Effective<string[]> & { ignoredUserEntries: string[] } {
    const egress = this.policy?.egress;
    if (!egress) return { value: dedupe(userEntries), managed: false, ignoredUserEntries: [] };
    const user = egress.allowUserAdditions ? userEntries : [];
    return {
      value: dedupe([...egress.allow, ...user]),
      managed: !egress.allowUserAdditions,
      ignoredUserEntries: egress.allowUserAdditions ? [] : userEntries,
    };
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

  /** Whether background update checks run: off when the policy disables them, whatever the user chose. */
  updatesEnabled(userPreference: boolean): Effective<boolean> {
    const updates = this.policy?.updates;
    if (updates && !updates.enabled) return { value: false, managed: true };
    return { value: userPreference, managed: false };
  }
}

function dedupe(entries: string[]): string[] {
  return [...new Set(entries.map((e) => e.trim().toLowerCase()).filter(Boolean))];
}
