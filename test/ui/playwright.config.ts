import { defineConfig } from '@playwright/test';
import { CHROMIUM, CHROMIUM_ARGS } from './harness/chromium';

// `npm run test:ui`: the built renderer in Debian's Chromium, its window.cospec bound to the real
// main-process services running in the Playwright worker (see fixtures.ts).
export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  globalSetup: './global-setup.ts',
  // Playwright empties this folder at start; COSPEC_UI_OUTPUT_DIR separates concurrent runs.
  outputDir: process.env.COSPEC_UI_OUTPUT_DIR ?? '../../test-results/ui-artifacts',
  fullyParallel: false,
  workers: process.env.CI ? 1 : 2,
  retries: 0,
  // Generous budgets: a test starts real services and a GitLab stand-in, on 2-core CI machines.
  timeout: 180_000,
  expect: { timeout: 30_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 820 },
    deviceScaleFactor: 1,
    launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
});
