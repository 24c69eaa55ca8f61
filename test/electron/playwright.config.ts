import { defineConfig } from '@playwright/test';

// `npm run test:electron`: the built app in real Electron through Playwright's _electron. Where the
// Electron binary is missing, global-setup prints why and every test is reported as skipped.
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  globalSetup: './global-setup.ts',
  outputDir: '../../test-results/electron-artifacts',
  fullyParallel: false,
  workers: 1, // one app instance at a time: the single-instance lock is per user data folder
  retries: 0,
  timeout: 60_000,
  reporter: [['list']],
});
