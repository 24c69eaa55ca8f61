import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { AppInfo, appContract, PickFolderOptions } from '../../../src-shared/ipc/services/app';
import { vetExternalUrl } from '../../../src-shared/ipc/external-url';

export interface AppServiceDeps {
  host: AppInfo['host'];
  appVersion: string;
  dataDir: string;
  openExternal(url: string): Promise<void>;
  /** The OS folder picker; absent where there is no desktop window (CLI, UI harness without one). */
  pickFolder?: ((options: PickFolderOptions) => Promise<string | undefined>) | undefined;
}

export function createAppService(deps: AppServiceDeps): ServiceHandlers<typeof appContract> {
  const platform =
    process.platform === 'darwin' || process.platform === 'win32' || process.platform === 'linux'
      ? process.platform
      : 'other';
  return {
    async getInfo() {
      return { name: 'coSPEC Desktop', version: deps.appVersion, platform, host: deps.host, dataDir: deps.dataDir };
    },
    async openExternal(url) {
      await deps.openExternal(vetExternalUrl(url).toString());
      return undefined;
    },
    async pickFolder(options) {
      if (!deps.pickFolder) {
        throw new CospecError(
          'INTERNAL',
          'Choosing a folder needs the coSPEC desktop app; type the folder’s path instead.',
          `no folder picker in the ${deps.host} host`,
        );
      }
      return (await deps.pickFolder(options)) ?? null;
    },
  };
}
