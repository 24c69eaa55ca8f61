import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { UpdateState, updatesContract } from '../../../src-shared/ipc/services/updates';
import type { Logger } from '../../platform/logger';
import type { Effective } from '../policy';

/**
 * The part of electron-updater the app uses. The shell adapts autoUpdater to it with
 * autoDownload and autoInstallOnAppQuit off, so nothing is fetched or installed without consent.
 */
export interface Updater {
  check(): Promise<{ version: string; releaseNotes?: string } | null>;
  download(onPercent: (percent: number) => void): Promise<void>;
  quitAndInstall(): void;
}

export interface UpdatesDeps {
  currentVersion: string;
  /** Absent outside the packaged app (dev builds, CLI, tests): updates are then unsupported. */
  updater?: Updater;
  /** Whether background checks may run: the user's preference after the policy. */
  enabled: () => Effective<boolean>;
  logger: Logger;
  onChange(state: UpdateState): void;
  now?: () => Date;
}

const CHECK_EVERY_MS = 6 * 60 * 60 * 1000;

export interface UpdatesService {
  handlers: ServiceHandlers<typeof updatesContract>;
  /** Starts the background check: once shortly after start, then every six hours. */
  startBackgroundChecks(firstDelayMs?: number): void;
  dispose(): void;
}

export function createUpdatesService(deps: UpdatesDeps): UpdatesService {
  const now = deps.now ?? (() => new Date());
  let state: UpdateState = initialState();
  let timer: NodeJS.Timeout | undefined;

  function initialState(): UpdateState {
    const base = { currentVersion: deps.currentVersion, managed: false };
    if (!deps.updater)
      return { ...base, status: 'unsupported', message: 'Updates are available only in the installed app.' };
    const enabled = deps.enabled();
    if (!enabled.value) {
      return {
        ...base,
        managed: enabled.managed,
        status: 'disabled',
        message: enabled.managed
          ? 'Updates are managed by your organization.'
          : 'Automatic update checks are turned off.',
      };
    }
    return { ...base, status: 'idle' };
  }

  function set(next: Partial<UpdateState>): UpdateState {
    state = { ...state, ...next };
    deps.onChange(state);
    return state;
  }

  function usableUpdater(): Updater {
    const fresh = initialState();
    if (fresh.status === 'unsupported' || fresh.status === 'disabled' || !deps.updater) {
      state = { ...fresh };
      throw new CospecError('POLICY_FORBIDS', fresh.message ?? 'Updates are not available.');
    }
    return deps.updater;
  }

  async function check(): Promise<UpdateState> {
    const updater = usableUpdater();
    set({ status: 'checking', message: undefined });
    try {
      const found = await updater.check();
      const lastCheckedAt = now().toISOString();
      return found
        ? set({ status: 'available', availableVersion: found.version, releaseNotes: found.releaseNotes, lastCheckedAt })
        : set({ status: 'not-available', lastCheckedAt });
    } catch (error) {
      deps.logger.warn('update check failed', { error });
      return set({ status: 'error', message: `Could not check for updates: ${(error as Error).message}` });
    }
  }

  return {
    handlers: {
      getState: async () => state,
      check,
      async download() {
        const updater = usableUpdater();
        if (state.status !== 'available') {
          throw new CospecError('INVALID_INPUT', 'There is no update to download; check for updates first.');
        }
        set({ status: 'downloading', downloadPercent: 0 });
        try {
          await updater.download((percent) => set({ downloadPercent: Math.round(percent) }));
          return set({ status: 'ready', downloadPercent: 100 });
        } catch (error) {
          return set({ status: 'error', message: `The update could not be downloaded: ${(error as Error).message}` });
        }
      },
      async installAndRestart() {
        const updater = usableUpdater();
        if (state.status !== 'ready')
          throw new CospecError('INVALID_INPUT', 'No downloaded update is ready to install.');
        updater.quitAndInstall();
        return undefined;
      },
    },
    startBackgroundChecks(firstDelayMs = 30_000) {
      if (timer || initialState().status !== 'idle') return;
      const tick = () => void check().catch(() => undefined);
      timer = setTimeout(function loop() {
        tick();
        timer = setTimeout(loop, CHECK_EVERY_MS);
        timer.unref();
      }, firstDelayMs);
      timer.unref();
    },
    dispose() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
