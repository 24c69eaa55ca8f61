import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, test as base, type ElectronApplication, type Page } from '@playwright/test';
import { skipReason } from './electron-binary';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Launches the built app (out/main/index.js) in Electron with this data folder and extra arguments. */
export interface Launcher {
  dataDir: string;
  /** Starts one more Electron process on the same data folder, as the OS does for a cospec:// link; resolves with its exit code. */
  secondLaunch(extraArgs: string[]): Promise<number | null>;
}

/** The real app in Electron with a fresh data folder, and its window. */
export const test = base.extend<{ launcher: Launcher; app: ElectronApplication; window: Page }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures must destructure their dependencies
  launcher: async ({}, use) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cospec-electron-'));
    await use({
      dataDir,
      secondLaunch: (extraArgs) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.env.COSPEC_ELECTRON_BINARY!, [...baseArgs(), ...extraArgs], {
            cwd: root,
            env: appEnv(dataDir),
            stdio: 'ignore',
          });
          child.once('error', reject);
          child.once('exit', (code) => resolve(code));
        }),
    });
    await rm(dataDir, { recursive: true, force: true });
  },
  app: async ({ launcher }, use) => {
    const app = await _electron.launch({
      executablePath: process.env.COSPEC_ELECTRON_BINARY!,
      args: baseArgs(),
      cwd: root,
      env: appEnv(launcher.dataDir),
    });
    await use(app);
    await app.close();
  },
  window: async ({ app }, use) => {
    const window = await app.firstWindow();
    await window.waitForLoadState('domcontentloaded');
    await use(window);
  },
});

function baseArgs(): string[] {
  // Chromium will not start as root with its OS sandbox; CI containers often run as root.
  return process.platform === 'linux' && process.getuid?.() === 0 ? [root, '--no-sandbox'] : [root];
}

/** The test runner's environment for the app, without ELECTRON_RUN_AS_NODE (it would start plain Node). */
function appEnv(dataDir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (value !== undefined && key !== 'ELECTRON_RUN_AS_NODE') env[key] = value;
  return {
    ...env,
    COSPEC_DATA_DIR: dataDir,
    COSPEC_POLICY_PATH: join(dataDir, 'no-policy.json'),
    COSPEC_DEVELOPMENT: '1',
  };
}

/** Marks every test of the calling file skipped, with the reason global-setup printed. */
export function skipWithoutElectron(): void {
  const reason = skipReason();
  test.skip(reason !== undefined, reason);
}

export { expect } from '@playwright/test';
