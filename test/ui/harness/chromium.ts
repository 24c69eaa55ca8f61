/** Debian's Chromium; Playwright's own browser download is never used (it fails offline). */
export const CHROMIUM = process.env.COSPEC_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a closed network. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
