import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the app keeps its files; Electron's app.getPath and the CLI both produce one of these. */
export interface Paths {
  /** Settings, account metadata, run records. */
  dataDir: string;
  logsDir: string;
  /** Clones, image build context, caches that can be deleted. */
  cacheDir: string;
}

/** The default data directory outside Electron, matching Electron's userData for productName "coSPEC Desktop". */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.COSPEC_DATA_DIR) return env.COSPEC_DATA_DIR;
  const name = 'coSPEC Desktop';
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', name);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), name);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), name);
}

export function pathsFor(dataDir: string): Paths {
  return { dataDir, logsDir: join(dataDir, 'logs'), cacheDir: join(dataDir, 'cache') };
}
