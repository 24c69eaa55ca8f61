import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, test as base, type ElectronApplication, type Page } from '@playwright/test';
import { skipReason } from './electron-binary';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The real app (out/main/index.js) in Electron with a fresh data folder, and its window. */
export const test = base.extend<{ app: ElectronApplication; window: Page }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright fixtures must destructure their dependencies
  app: async ({}, use) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cospec-electron-'));
    const args = [root];
    // Chromium will not start as root with its OS sandbox; CI containers often run as root.
    if (process.platform === 'linux' && process.getuid?.() === 0) args.push('--no-sandbox');
    const app = await _electron.launch({
      executablePath: process.env.COSPEC_ELECTRON_BINARY!,
      args,
      cwd: root,
      env: { ...process.env, COSPEC_DATA_DIR: dataDir, COSPEC_POLICY_PATH: join(dataDir, 'no-policy.json'), ELECTRON_RUN_AS_NODE: '' },
    });
    await use(app);
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  },
  window: async ({ app }, use) => {
    const window = await app.firstWindow();
    await window.waitForLoadState('domcontentloaded');
    await use(window);
  },
});

/** Marks every test of the calling file skipped, with the reason global-setup printed. */
export function skipWithoutElectron(): void {
  const reason = skipReason();
  test.skip(reason !== undefined, reason);
}

export { expect } from '@playwright/test';
