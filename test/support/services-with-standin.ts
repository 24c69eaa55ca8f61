import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventBus } from '../../src-main/platform/events';
import { createLogger, memorySink } from '../../src-main/platform/logger';
import { pathsFor } from '../../src-main/platform/paths';
import { createServices } from '../../src-main/services';
import { startGitLabStandIn, type StandIn } from '../../tools/gitlab-standin';

/**
 * The set-up most integration suites share: the GitLab stand-in, the app's services over a fresh
 * data folder (as the UI harness builds them), and the stand-in's bot account connected with its
 * token. close() undoes all of it.
 */

export type TestServices = Awaited<ReturnType<typeof createServices>>;

export interface ServicesWithStandIn {
  gitlab: StandIn;
  dataDir: string;
  services: TestServices;
  /** The connected bot account; '' when the suite connects itself (connect: false). */
  accountId: string;
  /** What the services logged, from debug up. */
  log: string[];
  close(): Promise<void>;
}

export interface ServicesWithStandInOptions {
  /** Prefix of the temp data folder, for telling suites' leftovers apart. */
  prefix: string;
  /** A machine policy file's content; none by default. */
  policy?: unknown;
  /** Connect the stand-in's bot account (default true). */
  connect?: boolean;
  /** The stand-in user whose token connects (default cospec-bot). */
  user?: string;
}

export async function startServicesWithStandIn(options: ServicesWithStandInOptions): Promise<ServicesWithStandIn> {
  const gitlab = await startGitLabStandIn();
  const dataDir = mkdtempSync(join(tmpdir(), `cospec-${options.prefix}-`));
  const sink = memorySink();
  let services: TestServices | undefined;
  const close = async () => {
    await services?.dispose();
    await gitlab.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const policyPath = join(dataDir, options.policy === undefined ? 'no-policy.json' : 'policy.json');
    if (options.policy !== undefined) writeFileSync(policyPath, JSON.stringify(options.policy));
    services = await createServices({
      host: 'harness',
      appVersion: '0.0.0-test',
      paths: pathsFor(dataDir),
      logger: createLogger({ level: 'debug', sinks: [sink] }),
      events: createEventBus(),
      openExternal: async () => undefined,
      protocolRegistered: false,
      policyPath,
    });
    let accountId = '';
    if (options.connect !== false) {
      const { account } = await services.handlers.accounts.connectWithToken({
        instanceUrl: gitlab.url,
        token: gitlab.user(options.user ?? 'cospec-bot').token,
        allowHttp: true,
      });
      accountId = account.id;
    }
    return { gitlab, dataDir, services, accountId, log: sink.lines, close };
  } catch (error) {
    await close();
    throw error;
  }
}
