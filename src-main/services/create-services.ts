import type { AppServices, ServiceDeps } from './index';
import { createAppService } from './app';
import { createAccountsService, type AccountsService } from './accounts';
import { createOAuthAppResolver, createOAuthFlows } from './auth';
import { defaultPolicyPath, loadPolicy, PolicyGuard } from './policy';
import { createSecretStore, type SecretStore } from './secrets';
import { createSettingsStore, SecuritySettingsSchema, type SettingsStore } from './settings';

/** What later main-process services (git, runs) consume; never exposed over IPC. */
export interface ServiceInternals {
  accounts: Pick<AccountsService, 'credentialsFor' | 'networkFor' | 'get' | 'withToken' | 'apiGet'>;
  settings: SettingsStore;
  secrets: SecretStore;
  policy: PolicyGuard;
}

/** Builds every service by hand (no DI framework) and returns the contract handlers. */
export async function createServices(deps: ServiceDeps): Promise<AppServices & { internal: ServiceInternals }> {
  const app = createAppService({
    host: deps.host,
    appVersion: deps.appVersion,
    dataDir: deps.paths.dataDir,
    openExternal: deps.openExternal,
  });
  const policy = new PolicyGuard(await loadPolicy(deps.policyPath ?? defaultPolicyPath()));
  const settings = createSettingsStore({ dataDir: deps.paths.dataDir, logger: deps.logger, now: deps.now });
  const secrets = createSecretStore({
    dataDir: deps.paths.dataDir,
    encryptor: deps.encryptor,
    allowPlaintext: () => settings.read('security', SecuritySettingsSchema).allowPlaintextSecrets,
  });
  const accounts = await createAccountsService({
    settings,
    secrets,
    events: deps.events,
    logger: deps.logger,
    resolveProxy: deps.resolveProxy,
    now: deps.now,
    assertInstanceAllowed: (url) => policy.assertInstanceAllowed(url),
  });
  const oauth = createOAuthFlows({
    resolver: createOAuthAppResolver({ settings, managed: (url) => policy.oauthApplicationId(url) }),
    openExternal: deps.openExternal,
    protocolRegistered: deps.protocolRegistered,
    buildNetwork: accounts.buildNetwork,
    connect: accounts.connectOAuth,
    assertInstanceAllowed: (url) => policy.assertInstanceAllowed(url),
    logger: deps.logger,
    now: deps.now,
  });

  // A damaged settings file is reported once: the first accounts.list after start-up rejects
  // with SETTINGS_CORRUPT (naming the backup), later calls return what could be read.
  const list = async () => {
    const problem = settings.takeProblem();
    if (problem) throw problem;
    return accounts.handlers.list();
  };

  return {
    handlers: {
      app,
      accounts: { ...accounts.handlers, ...oauth.handlers, list },
    },
    handleDeepLink: (url) => oauth.handleDeepLink(url),
    internal: { accounts, settings, secrets, policy },
    async dispose() {
      await oauth.dispose();
      await accounts.dispose();
    },
  };
}
