import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { accountsContract } from '../../../src-shared/ipc/services/accounts';
import type { LocalGitLabStatus, localGitLabContract } from '../../../src-shared/ipc/services/local-gitlab';
import type { z } from 'zod';
import type { AccountSchema } from '../../../src-shared/model/account';

type Account = z.input<typeof AccountSchema>;
import type { Logger } from '../../platform/logger';

/** A running local GitLab: its URL, the token of its dedicated bot user, the seeded project, how to stop it. */
export interface LocalGitLab {
  url: string;
  botToken: string;
  caPem?: string;
  sampleProject: string;
  close(): Promise<void>;
}

/** Starts the stand-in; provided by builds that ship it (development, the CLI, tests). */
export type LocalGitLabStarter = (opts: { dataDir: string }) => Promise<LocalGitLab>;

export interface LocalGitLabDeps {
  start?: LocalGitLabStarter;
  dataDir: string;
  connect(input: { instanceUrl: string; token: string; caPem?: string }): Promise<Account>;
  disconnect(accountId: string): Promise<void>;
  logger: Logger;
}

/**
 * "Try it locally": a new user with no GitLab account starts the stand-in GitLab bundled with the
 * app and connects its bot user, so a first run works offline.
 */
export function createLocalGitLabService(deps: LocalGitLabDeps) {
  let running: { gitlab: LocalGitLab; accountId: string } | undefined;
  let starting: Promise<{ status: LocalGitLabStatus; account: Account }> | undefined;

  const status = (): LocalGitLabStatus => ({
    available: Boolean(deps.start),
    running: Boolean(running),
    url: running?.gitlab.url ?? null,
    sampleProject: running?.gitlab.sampleProject ?? null,
  });

  async function start(): Promise<{ status: LocalGitLabStatus; account: Account }> {
    if (!deps.start) {
      throw new CospecError(
        'NOT_FOUND',
        'This build does not include the local GitLab. Run coSPEC from a source checkout (npm start) to try it locally.',
      );
    }
    const gitlab = await deps.start({ dataDir: deps.dataDir });
    try {
      const account = await deps.connect({ instanceUrl: gitlab.url, token: gitlab.botToken, caPem: gitlab.caPem });
      running = { gitlab, accountId: account.id };
      deps.logger.info('local GitLab started', { url: gitlab.url });
      return { status: status(), account };
    } catch (error) {
      await gitlab.close().catch(() => undefined);
      throw error;
    }
  }

  async function stop(): Promise<LocalGitLabStatus> {
    const current = running;
    running = undefined;
    if (current) {
      await deps
        .disconnect(current.accountId)
        .catch((error) => deps.logger.warn('local GitLab account disconnect failed', { error }));
      await current.gitlab.close();
    }
    return status();
  }

  const handlers: ServiceHandlers<typeof localGitLabContract> = {
    status: async () => status(),
    start: async () => {
      if (running)
        throw new CospecError('ACCOUNT_EXISTS', `The local GitLab is already running at ${running.gitlab.url}.`);
      starting ??= start().finally(() => (starting = undefined));
      return starting;
    },
    stop,
  };

  return {
    handlers,
    /** Stops the stand-in with the app; its account is left for the next start to replace. */
    async dispose() {
      await running?.gitlab.close().catch(() => undefined);
      running = undefined;
    },
  };
}

type AccountHandlers = Pick<ServiceHandlers<typeof accountsContract>, 'connectWithToken' | 'disconnect'>;

/**
 * Connects and disconnects the local GitLab's bot user through the accounts service, as a token
 * the user pasted would be: plain http allowed only for an http URL, its own CA trusted.
 */
export function accountsConnector(accounts: AccountHandlers): Pick<LocalGitLabDeps, 'connect' | 'disconnect'> {
  return {
    connect: async ({ instanceUrl, token, caPem }) => {
      const result = await accounts.connectWithToken({
        instanceUrl,
        token,
        allowHttp: instanceUrl.startsWith('http:'),
        network: { useSystemCa: true, ...(caPem ? { caCertificatesPem: caPem } : {}) },
      });
      return result.account;
    },
    disconnect: (id) => accounts.disconnect(id).then(() => undefined),
  };
}
