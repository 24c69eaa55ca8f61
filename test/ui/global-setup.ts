import { existsSync } from 'node:fs';
import { buildHarness } from './harness/build';
import { ensureSecretService } from './harness/keyring';
import { CHROMIUM } from './harness/chromium';

/** Builds the renderer once for all workers and makes sure a Secret Service is there for tokens. */
export default async function globalSetup() {
  if (!existsSync(CHROMIUM)) {
    console.log(`[ui] SKIP: ${CHROMIUM} is missing; install it with: bash scripts/setup/chromium.sh`);
    return;
  }
  await buildHarness();
  const keyring = await ensureSecretService();
  process.env.COSPEC_UI_KEYRING = keyring.status;
  if (keyring.status === 'missing') {
    process.env.COSPEC_UI_KEYRING_REASON = keyring.reason ?? 'no Secret Service';
    console.log(`[ui] no Secret Service: ${keyring.reason}; tests that store tokens will be skipped`);
  }
  return async () => keyring.stop();
}
