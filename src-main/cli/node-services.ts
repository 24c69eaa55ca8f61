import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppInfo } from '../../src-shared/ipc/services/app';
import type { EventBus } from '../platform/events';
import { createDispatcher, type Dispatch } from '../platform/ipc-dispatch';
import { createLogger, fileSink, type LogSink, type Logger } from '../platform/logger';
import { defaultDataDir, pathsFor } from '../platform/paths';
import { createServices } from '../services';
import { spawnedStandInStarter } from '../services/local-gitlab/spawned';

/** The checkout this code runs from (src-main/cli/ → the repository root). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export type NodeServices = Awaited<ReturnType<typeof createServices>>;

/**
 * The services without Electron, as the CLI and browser mode (`cospec serve-web`) run them: tokens in
 * the OS keychain (no safeStorage), links opened with the system's opener, no folder picker (the UI
 * asks for a typed path instead), OAuth through the loopback redirect (no cospec:// handler), and
 * "Try it locally" where the checkout ships the GitLab stand-in.
 */
export async function createNodeServices(options: {
  host: Extract<AppInfo['host'], 'cli' | 'browser'>;
  dataDir?: string;
  events: EventBus;
  logFile: string;
  extraSinks?: LogSink[];
  /** Where resources/sandbox and resources/agents are (an installed app's resources folder). */
  resourcesDir?: string;
}): Promise<{ services: NodeServices; dispatch: Dispatch; logger: Logger }> {
  const paths = pathsFor(options.dataDir ?? defaultDataDir());
  const logger = createLogger({
    sinks: [fileSink(join(paths.logsDir, options.logFile)), ...(options.extraSinks ?? [])],
  });
  const localGitLab = options.host === 'browser' ? spawnedStandInStarter(REPO_ROOT) : undefined;
  const services = await createServices({
    host: options.host,
    appVersion: appVersion(),
    paths,
    logger,
    events: options.events,
    openExternal: openInBrowser,
    protocolRegistered: false,
    ...(options.resourcesDir ? { resourcesDir: options.resourcesDir } : {}),
    ...(localGitLab ? { localGitLab } : {}),
  });
  return { services, dispatch: createDispatcher(services.handlers, logger), logger };
}

/** Opens a URL with the system's opener; where there is none, the caller has printed it anyway. */
export async function openInBrowser(url: string): Promise<void> {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  await new Promise<void>((resolve) => {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => resolve());
    child.on('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
