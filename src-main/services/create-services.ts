import type { CospecHandlers } from '../../src-shared/ipc';
import type { AppInfo, PickFolderOptions } from '../../src-shared/ipc/services/app';
import type { EventBus } from '../platform/events';
import type { Logger } from '../platform/logger';
import type { Paths } from '../platform/paths';
import type { Encryptor } from './secrets/types';
import { createAppService } from './app';
import { createAccountsService, type AccountsService } from './accounts';
import { createOAuthAppResolver, createOAuthFlows } from './auth';
import { loadPolicy, PolicyGuard, resolvePolicyPath } from './policy';
import { createSecretStore, withReadCache, type SecretStore } from './secrets';
import {
  createSettingsService,
  createSettingsStore,
  SecuritySettingsSchema,
  UpdateSettingsSchema,
  type SettingsStore,
} from './settings';
import { createRepositoriesService, type RepositoriesService } from './repositories';
import { createUpdatesService, type Updater, type UpdatesService } from './updates';
import { createRunPorts, createRunsService, type RunGit, type RunSandbox, type RunsService } from './runs';
import { join } from 'node:path';
import { ensurePrivateDir } from '../platform/private-dir';
import { cloneEngineFromEnv, createGitService } from './git';
import { createEngineFollowingSandbox, engineStatusOf } from './sandbox';
import { accountsConnector, createLocalGitLabService, type LocalGitLabStarter } from './local-gitlab';
import { createReviewService, prepareReviewsAhead, reviewGitLabFromAccounts, type ReviewService } from './review';
import { createMirrorStore } from './git/mirror';
import { createCloneCache, type CloneCache } from './git/clone-cache';
import { modelUpstream } from './gateway/model-apis';

/** What the composition root hands the services; everything Electron-specific arrives as an adapter. */
export interface ServiceDeps {
  host: AppInfo['host'];
  appVersion: string;
  paths: Paths;
  logger: Logger;
  events: EventBus;
  /** Electron safeStorage in the app: the fallback where no OS keychain answers (services/secrets/choose.ts). */
  encryptor?: Encryptor;
  /** Opens a vetted URL in the system browser (shell.openExternal in the app). */
  openExternal(url: string): Promise<void>;
  /** The OS folder picker (dialog.showOpenDialog in the app); undefined when the user cancels. Absent outside Electron. */
  pickFolder?: (options: PickFolderOptions) => Promise<string | undefined>;
  /** The OS proxy for a URL as Electron resolves it ("DIRECT", "PROXY host:port" …); absent outside Electron. */
  resolveProxy?(url: string): Promise<string>;
  /** Whether cospec:// is registered as this app's protocol handler (false in dev builds on Linux). */
  protocolRegistered: boolean;
  /** The cloner and the container sandbox runs use; the real ones (isomorphic-git, Podman/Docker) when absent. */
  runtime?: Partial<{ git: RunGit; sandbox: RunSandbox }>;
  /** electron-updater adapted to the Updater seam; absent outside the packaged app. */
  updater?: Updater;
  /** Starts the bundled local GitLab for "try it locally"; absent in builds that do not ship it. */
  localGitLab?: LocalGitLabStarter;
  /** The container engine's socket or DOCKER_HOST-style URL; else COSPEC_CONTAINER_SOCKET, DOCKER_HOST and the usual places. */
  containerSocket?: string;
  /** Where resources/ (sandbox entrypoint, sample agent) lives; the repository's by default, process.resourcesPath in a package. */
  resourcesDir?: string;
  /** The gitlab.com OAuth application id built into a vendor build (src-main/services/auth/built-in.ts). */
  builtInGitLabComClientId?: string;
  /** The installed app (app.isPackaged): development overrides in the environment are ignored. */
  packaged?: boolean;
  /** Overrides for in-process tests: the policy file path, the clock. */
  policyPath?: string;
  now?: () => Date;
}

export interface AppServices {
  handlers: CospecHandlers;
  /** Handles a cospec:// URL delivered by the OS (open-url, second-instance argv, cold-start argv). */
  handleDeepLink(url: string): Promise<void>;
  dispose(): Promise<void>;
}

/** What later main-process services (git, runs) consume; never exposed over IPC. */
export interface ServiceInternals {
  accounts: Pick<AccountsService, 'credentialsFor' | 'networkFor' | 'get' | 'withToken' | 'apiGet'>;
  settings: SettingsStore;
  secrets: SecretStore;
  policy: PolicyGuard;
  runs: RunsService;
  repositories: RepositoriesService;
  updates: UpdatesService;
  review: Pick<ReviewService, 'clearDiffCache' | 'prepare'>;
  /** Background work after runs (refills, prepared checkouts): tests and the bench wait for it. */
  cloneCache: Pick<CloneCache, 'settled'>;
}

/** Builds every service by hand (no DI framework) and returns the contract handlers. */
export async function createServices(deps: ServiceDeps): Promise<AppServices & { internal: ServiceInternals }> {
  const app = createAppService({
    host: deps.host,
    appVersion: deps.appVersion,
    dataDir: deps.paths.dataDir,
    openExternal: deps.openExternal,
    pickFolder: deps.pickFolder,
  });
  const policyPath = deps.policyPath ?? choosePolicyPath(deps);
  const policy = new PolicyGuard(await loadPolicy(policyPath));
  // The data folder and what the app keeps beside it are the user's alone (0700), before anything is written.
  for (const dir of [deps.paths.dataDir, deps.paths.logsDir, deps.paths.cacheDir, join(deps.paths.dataDir, 'runs')])
    ensurePrivateDir(dir);
  const settings = createSettingsStore({ dataDir: deps.paths.dataDir, logger: deps.logger, now: deps.now });
  // Reads kept briefly: a keychain read blocks main's event loop (secrets/read-cache.ts).
  const secrets = withReadCache(
    await createSecretStore({
      dataDir: deps.paths.dataDir,
      encryptor: deps.encryptor,
      logger: deps.logger,
      allowPlaintext: () => settings.read('security', SecuritySettingsSchema).allowPlaintextSecrets,
    }),
  );
  const accounts = await createAccountsService({
    settings,
    secrets,
    events: deps.events,
    logger: deps.logger,
    resolveProxy: deps.resolveProxy,
    now: deps.now,
    assertInstanceAllowed: (url) => policy.assertInstanceAllowed(url),
    managedInstance: (url) => policy.managedInstance(url),
  });
  const oauth = createOAuthFlows({
    resolver: createOAuthAppResolver({
      settings,
      managed: (url) => policy.oauthApplicationId(url),
      builtInGitLabComClientId: deps.builtInGitLabComClientId,
    }),
    openExternal: deps.openExternal,
    protocolRegistered: deps.protocolRegistered,
    buildNetwork: accounts.buildNetwork,
    connect: accounts.connectOAuth,
    assertInstanceAllowed: (url) => policy.assertInstanceAllowed(url),
    logger: deps.logger,
    now: deps.now,
  });

  const repositories = createRepositoriesService({
    cacheDir: deps.paths.cacheDir,
    get: accounts.apiGet,
    logger: deps.logger.child({ service: 'repositories' }),
    onChange: (projects) => deps.events.emit('repositories.didChange', projects),
    now: deps.now,
  });

  // After a run, git runs only in these app-owned repositories, never in a run's workspace (git/mirror.ts).
  const mirrors = createMirrorStore({ root: join(deps.paths.dataDir, 'git-mirrors'), logger: deps.logger });
  // Repeat runs copy their workspace from the project's mirror, updated from GitLab first (git/clone-cache.ts).
  const cloneCache = createCloneCache({
    mirrors,
    logger: deps.logger,
    maxBytes: () => settingsService.cloneCacheMaxBytes(),
  });
  const settingsService = createSettingsService({
    settings,
    policy,
    secrets,
    engineStatus: () => engineStatusOf(sandbox),
    cloneCache: () => cloneCache,
  });
  const runsDir = join(deps.paths.dataDir, 'runs');
  const sandbox: RunSandbox =
    deps.runtime?.sandbox ??
    createEngineFollowingSandbox({
      logger: deps.logger.child({ service: 'sandbox' }),
      dataDir: deps.paths.dataDir,
      limits: () => settingsService.sandboxLimits(),
      mayReachPrivate: (entry) => policy.mayReachPrivate(entry),
      // The engine chosen in settings, else the app's configured socket, else found where engines listen.
      socket: () => settingsService.containerSocket() ?? deps.containerSocket,
      ...(deps.resourcesDir ? { resourcesDir: deps.resourcesDir } : {}),
    });
  // One cloner for runs and review checkouts, with the same settings.
  const gitService = createGitService({ logger: deps.logger, engine: cloneEngineFromEnv() });
  const runs = createRunsService({
    runsDir,
    logger: deps.logger,
    events: deps.events,
    defaultTimeoutMinutes: () => settingsService.sandboxLimits().timeoutMinutes,
    allowForUser: (entries) => settingsService.allowForUser(entries),
    ports: createRunPorts({
      accounts,
      policy,
      git: deps.runtime?.git ?? gitService,
      sandbox,
      userAllowlist: () => settingsService.userEgress(),
      limits: () => settingsService.sandboxLimits(),
      modelKey: (key) => secrets.get(key),
      mirrors,
      // A cloner given by a test is used as it is.
      ...(deps.runtime?.git ? {} : { cloneCache }),
      logger: deps.logger.child({ service: 'runs' }),
      modelUpstream: (api) => modelUpstream(api),
      pushRules: () => settingsService.pushRules(),
    }),
  });
  await runs.recover();

  const updates = createUpdatesService({
    currentVersion: deps.appVersion,
    updater: deps.updater,
    enabled: () => policy.updatesEnabled(settings.read('updates', UpdateSettingsSchema).checkAutomatically),
    logger: deps.logger.child({ service: 'updates' }),
    onChange: (state) => deps.events.emit('updates.didChange', state),
    now: deps.now,
  });

  const review = createReviewService({
    runs: {
      get: (id) => runs.orchestrator.get(id),
      list: () => runs.orchestrator.list(),
      start: (spec) => runs.orchestrator.start(spec),
    },
    gitlabFor: reviewGitLabFromAccounts(accounts),
    logger: deps.logger,
    mirrors,
    git: gitService,
  });

  // The diffs of MRs a finished run opened are computed before the reviewer asks (review/prepare-ahead.ts).
  const stopPreparing = prepareReviewsAhead((listener) => deps.events.on('runs.didChange', listener), review);

  const localGitLab = createLocalGitLabService({
    start: deps.localGitLab,
    dataDir: join(deps.paths.dataDir, 'local-gitlab'),
    logger: deps.logger.child({ service: 'local-gitlab' }),
    ...accountsConnector(accounts.handlers),
  });

  return {
    handlers: {
      app,
      accounts: { ...accounts.handlers, ...oauth.handlers },
      repositories: repositories.handlers,
      runs: runs.handlers,
      updates: updates.handlers,
      settings: settingsService.handlers,
      review: review.handlers,
      localGitLab: localGitLab.handlers,
    },
    handleDeepLink: (url) => oauth.handleDeepLink(url),
    internal: { accounts, settings, secrets, policy, runs, repositories, updates, review, cloneCache },
    async dispose() {
      await stopPreparing();
      updates.dispose();
      await localGitLab.dispose();
      await runs.dispose();
      await cloneCache.dispose();
      await oauth.dispose();
      await accounts.dispose();
    },
  };
}

/** The machine's policy file, or the development override when resolvePolicyPath allows it (logged when not). */
function choosePolicyPath(deps: ServiceDeps): string {
  const choice = resolvePolicyPath({ packaged: deps.packaged === true });
  if (choice.ignoredOverride) deps.logger.warn(choice.ignoredOverride);
  return choice.path;
}
