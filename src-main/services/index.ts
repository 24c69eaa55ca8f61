import type { CospecHandlers } from '../../src-shared/ipc';
import type { AppInfo, PickFolderOptions } from '../../src-shared/ipc/services/app';
import type { EventBus } from '../platform/events';
import type { Logger } from '../platform/logger';
import type { Paths } from '../platform/paths';
import type { RunGit, RunSandbox } from './runs/ports';
import type { Encryptor } from './secrets/types';
import type { LocalGitLabStarter } from './local-gitlab';
import type { Updater } from './updates';

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

export { createServices } from './create-services';
