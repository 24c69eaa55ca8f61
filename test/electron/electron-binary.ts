import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Where the Electron executable is, found the way scripts/start.mjs finds it and without
 * triggering the download that `require('electron')` starts (it fails on closed networks).
 */
export function findElectronBinary(env: NodeJS.ProcessEnv = process.env): { path: string } | { missing: string } {
  const electronDir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const path = join(
      env.ELECTRON_OVERRIDE_DIST_PATH,
      relative || (process.platform === 'win32' ? 'electron.exe' : 'electron'),
    );
    return existsSync(path) ? { path } : { missing: `ELECTRON_OVERRIDE_DIST_PATH is set but ${path} does not exist` };
  }
  if (!relative)
    return {
      missing:
        'the Electron binary was never downloaded (node_modules/electron/path.txt is absent; GitHub is unreachable here)',
    };
  const path = join(electronDir, 'dist', relative);
  return existsSync(path) ? { path } : { missing: `${path} does not exist` };
}

/** Why the Electron suite cannot run here, or undefined when it can; set by global-setup.ts. */
export function skipReason(): string | undefined {
  return process.env.COSPEC_ELECTRON_SKIP || undefined;
}
