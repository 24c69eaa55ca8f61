import type { AppServices, ServiceDeps } from './index';
import { createAppService } from './app';
import { CospecError } from '../../src-shared/ipc/errors';

// TRANSIENT: the accounts service is being wired in by the accounts work (issue 4); until then
// its methods refuse clearly instead of pretending.
const notWired = async (): Promise<never> => {
  throw new CospecError('INTERNAL', 'Accounts are not wired yet.');
};

/** Builds every service by hand (no DI framework) and returns the contract handlers. */
export async function createServices(deps: ServiceDeps): Promise<AppServices> {
  const app = createAppService({
    host: deps.host,
    appVersion: deps.appVersion,
    dataDir: deps.paths.dataDir,
    openExternal: deps.openExternal,
  });
  return {
    handlers: {
      app,
      accounts: {
        list: notWired,
        connectWithToken: notWired,
        beginOAuth: notWired,
        waitForOAuth: notWired,
        cancelOAuth: notWired,
        revalidate: notWired,
        updateNetwork: notWired,
        disconnect: notWired,
      },
    },
    async handleDeepLink() {
      throw new CospecError('INVALID_DEEP_LINK', 'Deep links are not wired yet.');
    },
    async dispose() {},
  };
}
