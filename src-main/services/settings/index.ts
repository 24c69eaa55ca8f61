import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import { DEFAULT_BRANCH_PREFIX } from '../../../src-shared/model/push-scope';
import { CospecError } from '../../../src-shared/ipc/errors';
import type {
  EngineStatus,
  SettingsPatch,
  SettingsView,
  settingsContract,
} from '../../../src-shared/ipc/services/settings';
import { AGENT_ADAPTERS, modelHostOf } from '../agents';
import { SANDBOX_DEFAULTS, type SandboxLimits } from '../sandbox/limits';
import type { PolicyGuard } from '../policy';
import type { SecretStore } from '../secrets';
import { RunSettingsSchema, UpdateSettingsSchema, type SettingsStore } from './store';
import { DEFAULT_CLONE_CACHE_GB } from '../../../src-shared/model/clone-cache';
import type { CloneCache } from '../git/clone-cache';

/**
 * Settings: the service behind the settings screen (this file) over the settings file it keeps in
 * store.ts, which the app and the CLI share.
 */
export {
  createSettingsStore,
  OAuthSettingsSchema,
  RunSettingsSchema,
  SecuritySettingsSchema,
  UpdateSettingsSchema,
  type SettingsOptions,
  type SettingsStore,
} from './store';

export interface SettingsService {
  handlers: ServiceHandlers<typeof settingsContract>;
  /** The limits every run gets now (policy over user over defaults). */
  sandboxLimits(): SandboxLimits;
  /** The user's egress additions (the policy's entries are added by the runs' allowlist). */
  userEgress(): string[];
  /** The engine socket the user chose, if any. */
  containerSocket(): string | undefined;
  /** What agents may push (policy over user over defaults); the runs add the inherited branches. */
  pushRules(): { prefix: string; ciSkip: boolean };
  /** Adds destinations to the user's allowed ones, with the same checks as Settings (policy, address rules). */
  allowForUser(entries: string[]): Promise<void>;
  /** The clone cache's bound in bytes (user setting or default). */
  cloneCacheMaxBytes(): number;
}

/**
 * The settings screen's service: user preferences for runs and updates, with the organization's
 * policy applied on top. A locked setting is reported as managed and refuses changes.
 */
export function createSettingsService(deps: {
  settings: SettingsStore;
  policy: PolicyGuard;
  secrets: Pick<SecretStore, 'get' | 'set' | 'delete'>;
  onUpdatesChanged?: () => void;
  /** Asks the sandbox whether its engine answers (bound after the sandbox is built). */
  engineStatus?: () => Promise<EngineStatus>;
  /** The per-project clone cache whose size Settings shows and clears (bound after it is built). */
  cloneCache?: () => Pick<CloneCache, 'stats' | 'clear'> | undefined;
}): SettingsService {
  const runs = () => deps.settings.read('runs', RunSettingsSchema);
  const updates = () => deps.settings.read('updates', UpdateSettingsSchema);

  function sandboxLimits(): SandboxLimits {
    const user = runs();
    const image = deps.policy.sandboxSetting('image', undefined, SANDBOX_DEFAULTS.image);
    return {
      image: image.value,
      imagePinned: image.managed,
      memoryMb: deps.policy.sandboxSetting('memoryMb', user.memoryMb, SANDBOX_DEFAULTS.memoryMb).value,
      cpus: deps.policy.sandboxSetting('cpus', user.cpus, SANDBOX_DEFAULTS.cpus).value,
      pidsLimit: deps.policy.sandboxSetting('pidsLimit', undefined, SANDBOX_DEFAULTS.pidsLimit).value,
      timeoutMinutes: deps.policy.sandboxSetting('timeoutMinutes', user.timeoutMinutes, SANDBOX_DEFAULTS.timeoutMinutes)
        .value,
    };
  }

  async function view(): Promise<SettingsView> {
    const state = deps.policy.state;
    const policy = state.status === 'active' ? state.policy : undefined;
    const user = runs();
    const sandbox = (
      key: 'image' | 'memoryMb' | 'cpus' | 'pidsLimit' | 'timeoutMinutes',
      userValue: number | string | undefined,
    ) => {
      const fallback = SANDBOX_DEFAULTS[key];
      return deps.policy.sandboxSetting(key, userValue as never, fallback as never) as {
        value: never;
        managed: boolean;
      };
    };
    return {
      policy: {
        status: state.status,
        path: state.path,
        problems: state.status === 'invalid' ? state.problems : [],
        managedInstances: deps.policy.managedInstances().map((i) => ({
          url: i.url,
          oauth: Boolean(i.oauthApplicationId),
          customCa: Boolean(i.caCertificatesPem),
          proxy: Boolean(i.proxyUrl),
        })),
        otherInstancesAllowed: policy?.gitlab?.allowOtherInstances ?? true,
        gitlabComAllowed: policy?.gitlab?.allowGitLabCom ?? true,
      },
      egress: {
        forced: policy?.egress?.allow ?? [],
        user: user.egressAllow,
        userAdditionsAllowed: policy?.egress?.allowUserAdditions ?? true,
      },
      sandbox: {
        engine: user.containerSocket ?? null,
        image: sandbox('image', undefined),
        memoryMb: sandbox('memoryMb', user.memoryMb),
        cpus: sandbox('cpus', user.cpus),
        pidsLimit: sandbox('pidsLimit', undefined),
        timeoutMinutes: sandbox('timeoutMinutes', user.timeoutMinutes),
      },
      agents: {
        list: await Promise.all(
          AGENT_ADAPTERS.map(async (a) => ({
            name: a.name,
            label: a.label,
            modelDomains: modelHostOf(a),
            modelKeyLabel: a.modelKey?.label ?? null,
            allowed: isAllowed(() => deps.policy.assertAgentAllowed({ kind: 'adapter', name: a.name })),
            hasKey: a.modelKey ? Boolean(await deps.secrets.get(a.modelKey.secretKey).catch(() => undefined)) : false,
          })),
        ),
        customCommandsAllowed: isAllowed(() => deps.policy.assertAgentAllowed({ kind: 'command' })),
      },
      pushes: pushSettings(),
      updates: { checkAutomatically: deps.policy.updatesEnabled(updates().checkAutomatically) },
      cloneCache: { maxGb: user.cloneCacheMaxGb ?? DEFAULT_CLONE_CACHE_GB },
    };
  }

  const cloneCacheMaxBytes = () => (runs().cloneCacheMaxGb ?? DEFAULT_CLONE_CACHE_GB) * 1024 ** 3;
  const noCache = () => ({ bytes: 0, projects: 0, maxBytes: cloneCacheMaxBytes() });

  function pushSettings() {
    const user = runs();
    return {
      branchPrefix: deps.policy.branchPrefix(user.branchPrefix, DEFAULT_BRANCH_PREFIX),
      ciSkip: deps.policy.ciSkip(user.ciSkip),
    };
  }

  async function update(patch: SettingsPatch): Promise<SettingsView> {
    const current = await view();
    const locked = (what: string) =>
      new CospecError('POLICY_FORBIDS', `${what} is managed by your organization and cannot be changed here.`);
    if (patch.egressAllow && !current.egress.userAdditionsAllowed && patch.egressAllow.length > 0)
      throw locked('The egress allowlist');
    if (patch.timeoutMinutes !== undefined && current.sandbox.timeoutMinutes.managed)
      throw locked('The run time limit');
    if (patch.memoryMb !== undefined && current.sandbox.memoryMb.managed) throw locked('The memory limit');
    if (patch.cpus !== undefined && current.sandbox.cpus.managed) throw locked('The CPU limit');
    if (patch.checkUpdatesAutomatically !== undefined && current.updates.checkAutomatically.managed)
      throw locked('Automatic update checks');
    if (patch.branchPrefix !== undefined && current.pushes.branchPrefix.managed)
      throw locked('The agent branch prefix');
    if (patch.ciSkip !== undefined && current.pushes.ciSkip.managed) throw locked('Skipping CI on agent pushes');

    const next = { ...runs() };
    // Each entry is checked and stored in its canonical form; the first refused one says why.
    if (patch.egressAllow) next.egressAllow = [...new Set(patch.egressAllow.map((e) => deps.policy.checkUserEntry(e)))];
    if (patch.timeoutMinutes !== undefined) next.timeoutMinutes = patch.timeoutMinutes;
    if (patch.memoryMb !== undefined) next.memoryMb = patch.memoryMb;
    if (patch.cpus !== undefined) next.cpus = patch.cpus;
    if (patch.branchPrefix !== undefined) next.branchPrefix = patch.branchPrefix;
    if (patch.ciSkip !== undefined) next.ciSkip = patch.ciSkip;
    if (patch.cloneCacheMaxGb !== undefined) next.cloneCacheMaxGb = patch.cloneCacheMaxGb;
    if (patch.containerSocket === null) delete next.containerSocket;
    else if (patch.containerSocket !== undefined) next.containerSocket = patch.containerSocket;
    deps.settings.write('runs', next);
    if (patch.checkUpdatesAutomatically !== undefined) {
      deps.settings.write('updates', { checkAutomatically: patch.checkUpdatesAutomatically });
      deps.onUpdatesChanged?.();
    }
    return view();
  }

  return {
    sandboxLimits,
    userEgress: () => runs().egressAllow,
    containerSocket: () => runs().containerSocket,
    pushRules: () => {
      const p = pushSettings();
      return { prefix: p.branchPrefix.value, ciSkip: p.ciSkip.value };
    },
    async allowForUser(entries) {
      if (entries.length > 0) await update({ egressAllow: [...runs().egressAllow, ...entries] });
    },
    cloneCacheMaxBytes,
    handlers: {
      get: () => view(),
      cloneCache: async () => (await deps.cloneCache?.()?.stats()) ?? noCache(),
      clearCloneCache: async () => (await deps.cloneCache?.()?.clear()) ?? noCache(),
      engineStatus: async () =>
        deps.engineStatus ? deps.engineStatus() : { ok: false, message: 'No container sandbox in this build.' },
      update: (patch) => update(patch),
      async setAgentKey({ agent, key }) {
        const adapter = AGENT_ADAPTERS.find((a) => a.name === agent);
        if (!adapter?.modelKey)
          throw new CospecError('INVALID_INPUT', `The agent "${agent}" does not use a model key.`);
        if (key === null) await deps.secrets.delete(adapter.modelKey.secretKey);
        else await deps.secrets.set(adapter.modelKey.secretKey, key);
        return view();
      },
    },
  };
}

function isAllowed(check: () => void): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}
