import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import type { appContract } from '../../../src-shared/ipc/services/app';
import { vetExternalUrl } from './external-url';

export interface AppServiceDeps {
  host: 'electron' | 'harness' | 'cli';
  appVersion: string;
  dataDir: string;
  openExternal(url: string): Promise<void>;
}

export function createAppService(deps: AppServiceDeps): ServiceHandlers<typeof appContract> {
  const platform =
    process.platform === 'darwin' || process.platform === 'win32' || process.platform === 'linux' ? process.platform : 'other';
  return {
    async getInfo() {
      return { name: 'coSPEC Desktop', version: deps.appVersion, platform, host: deps.host, dataDir: deps.dataDir };
    },
    async openExternal(url) {
      await deps.openExternal(vetExternalUrl(url).toString());
      return undefined;
    },
  };
}
