import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { eventNames } from '../../src-shared/ipc/channels';
import type { PickFolderOptions } from '../../src-shared/ipc/services/app';
import { createEventBus, type EventBus } from '../../src-main/platform/events';
import { createDispatcher, type Dispatch } from '../../src-main/platform/ipc-dispatch';
import { createLogger, memorySink } from '../../src-main/platform/logger';
import { pathsFor } from '../../src-main/platform/paths';
import { createServices } from '../../src-main/services';
import type { Updater } from '../../src-main/services/updates';
import { spawnedStandInStarter } from '../../src-main/services/local-gitlab/spawned';
import { startWebHost } from '../../src-main/web-host/server';
import { startGitLabStandIn, type StandIn } from '../../tools/gitlab-standin';
import { RENDERER_OUT, ROOT } from './harness/build';
import { CHROMIUM } from './harness/chromium';

type Services = Awaited<ReturnType<typeof createServices>>;

export interface UiApp {
  page: Page;
  /** The browser-mode web host's origin the page was loaded from (http://127.0.0.1:PORT). */
  origin: string;
  /** How many contract calls reached the dispatcher through the web host (attack tests assert none did). */
  dispatched: Array<{ service: string; method: string }>;
  /** The real services behind window.cospec (handlers, handleDeepLink, internal …). */
  services: Services;
  events: EventBus;
  dataDir: string;
  /** The GitLab stand-in, when the test asked for one with test.use({ withGitLab: true | { tls: true } }). */
  gitlab?: StandIn;
  /** Every URL the services asked the OS to open (openExternal). */
  opened: string[];
  /** Resolves with the next URL the services open in the "system browser" (or the last one, if already opened since `since`). */
  nextOpened(since?: number): Promise<string>;
  /** Every log line the services wrote. */
  logLines: string[];
  /** What the web host sent towards the renderer: call results and events, as JSON text. */
  ipcTraffic: string[];
  /** Console messages about Content Security Policy violations since the page opened. */
  cspViolations: string[];
  /** Navigates to a hash route, e.g. '#/accounts'. */
  goto(hash: string): Promise<void>;
  /** Saves test-results/screenshots/<name>-light.png and -dark.png of the current screen. */
  snap(name: string): Promise<void>;
  /**
   * What the stand-in for the OS folder picker (app.pickFolder) answers, read at each call: a path
   * (the user chose it) or null (the user cancelled). Starts as the `pickedFolder` option, which must
   * be set (null will do) for the services to have a picker at all; a test may then change it.
   */
  pickedFolder: string | null | undefined;
  /** The options of every app.pickFolder call (title, defaultPath). */
  pickFolderRequests: PickFolderOptions[];
}

export interface Options {
  withGitLab: boolean | { tls?: boolean };
  /** Whether cospec:// counts as registered (false forces the OAuth loopback redirect). */
  protocolRegistered: boolean;
  /** A managed policy file to start with (written to the data dir). */
  policy: object | undefined;
  /** The route the page opens at. */
  startAt: string;
  /** Files written into the data dir before the services start (name → contents), e.g. a damaged config.json. */
  dataDirFiles: Record<string, string> | undefined;
  /** Offer "Try it locally" (the stand-in started as a child process, as in a source checkout). */
  localGitLab: boolean;
  /** Give the services a folder picker answering this (see UiApp.pickedFolder); undefined: no picker, as in a browser. */
  pickedFolder?: string | null | undefined;
  /** A stand-in for electron-updater (the services' Updater seam); undefined: updates unsupported, as outside the installed app. */
  updater?: Updater | undefined;
}

const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');
export const test = base.extend<Options & { app: UiApp; _requirements: void }>({
  withGitLab: [false, { option: true }],
  protocolRegistered: [true, { option: true }],
  policy: [undefined, { option: true }],
  startAt: ['#/integrations/gitlab', { option: true }],
  dataDirFiles: [undefined, { option: true }],
  localGitLab: [false, { option: true }],
  pickedFolder: [undefined, { option: true }],
  updater: [undefined, { option: true }],

  // Runs before the browser is launched, so a missing Chromium is a skip with a reason, not a crash.
  _requirements: [
    // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from the destructuring
    async ({}, use, testInfo) => {
      testInfo.skip(!existsSync(CHROMIUM), `${CHROMIUM} is missing; install it with: bash scripts/setup/chromium.sh`);
      await use();
    },
    { auto: true },
  ],

  app: async (
    { page, withGitLab, protocolRegistered, policy, startAt, dataDirFiles, localGitLab, pickedFolder, updater },
    use,
  ) => {
    const { app, close } = await launchUiApp(page, {
      withGitLab,
      protocolRegistered,
      policy,
      startAt,
      dataDirFiles,
      localGitLab,
      pickedFolder,
      updater,
    });
    await use(app);
    await close();
  },
});

/**
 * Starts the real services (and the GitLab stand-in when asked) behind a browser-mode web host of
 * their own (src-main/web-host: the same server `cospec serve-web` runs, with its secret, cookie,
 * Host and Origin checks) and opens the built renderer from it through the secret URL, so window.cospec
 * is the renderer's own web transport, as in browser mode. The `app` fixture above uses it; so does
 * `npm run bench review`, which drives Chromium without the test runner.
 */
export async function launchUiApp(page: Page, options: Options): Promise<{ app: UiApp; close(): Promise<void> }> {
  if (!existsSync(join(RENDERER_OUT, 'index.html')))
    throw new Error('the renderer was not built; run through test/ui/playwright.config.ts (globalSetup builds it)');
  const { withGitLab, protocolRegistered, policy, startAt, dataDirFiles, localGitLab } = options;
  const pickFolderRequests: PickFolderOptions[] = [];
  // The picker reads app.pickedFolder when called, so a test can choose its folder after start-up.
  let picker: { pickedFolder: string | null | undefined } = { pickedFolder: options.pickedFolder };
  const t0 = Date.now();
  const mark = (what: string) => process.env.COSPEC_UI_DEBUG && console.log(`[ui] ${what} +${Date.now() - t0} ms`);
  const dataDir = mkdtempSync(join(tmpdir(), 'cospec-ui-'));
  for (const [name, contents] of Object.entries(dataDirFiles ?? {})) writeFileSync(join(dataDir, name), contents);
  const gitlab = withGitLab ? await startGitLabStandIn(typeof withGitLab === 'object' ? withGitLab : {}) : undefined;
  const sink = memorySink();
  const logger = createLogger({ level: 'debug', sinks: [sink] });
  const events = createEventBus();
  const opened: string[] = [];
  const waiters: Array<() => void> = [];
  let policyPath = join(dataDir, 'no-policy.json');
  if (policy) {
    policyPath = join(dataDir, 'policy.json');
    writeFileSync(policyPath, JSON.stringify(policy));
  }
  const services = await createServices({
    host: 'harness',
    appVersion: version,
    paths: pathsFor(dataDir),
    logger,
    events,
    openExternal: async (url) => {
      opened.push(url);
      waiters.splice(0).forEach((w) => w());
    },
    protocolRegistered,
    policyPath,
    ...(options.updater ? { updater: options.updater } : {}),
    ...(localGitLab ? { localGitLab: spawnedStandInStarter(ROOT) } : {}),
    // Without the option there is no picker, as outside the desktop app (the service says so).
    ...(options.pickedFolder === undefined
      ? {}
      : {
          pickFolder: async (request: PickFolderOptions) => {
            pickFolderRequests.push(request);
            return picker.pickedFolder ?? undefined;
          },
        }),
  });
  mark('services ready');
  const realDispatch = createDispatcher(services.handlers, logger);
  const ipcTraffic: string[] = [];
  const dispatched: UiApp['dispatched'] = [];
  // The web host's dispatcher, recording what reached it and what it answered (as the JSON it sends).
  const dispatch: Dispatch = async (service, method, args) => {
    dispatched.push({ service, method });
    const result = await realDispatch(service, method, args);
    if (process.env.COSPEC_UI_DEBUG)
      console.log(
        `[ui] ${service}.${method} → ${result.ok ? JSON.stringify(result.value ?? null).slice(0, 300) : JSON.stringify(result.error)}`,
      );
    ipcTraffic.push(JSON.stringify(result));
    return result;
  };
  const host = await startWebHost({ rendererDir: RENDERER_OUT, dispatch, events, logger });
  const unsubscribe = eventNames.map((name) =>
    events.on(name, (payload) => {
      ipcTraffic.push(JSON.stringify({ event: name, payload }));
      if (process.env.COSPEC_UI_DEBUG) console.log(`[ui] event ${name} ${JSON.stringify(payload).slice(0, 200)}`);
    }),
  );
  page.on('pageerror', (error) => console.error(`[ui] page error: ${error.message}`));
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });

  const app: UiApp = {
    page,
    origin: host.origin,
    dispatched,
    services,
    events,
    dataDir,
    gitlab,
    opened,
    logLines: sink.lines,
    ipcTraffic,
    cspViolations,
    nextOpened: (since = opened.length) =>
      opened.length > since
        ? Promise.resolve(opened[since]!)
        : new Promise((resolve) => waiters.push(() => resolve(opened[since]!))),
    goto: async (hash) => {
      await page.evaluate((h) => (window.location.hash = h), hash);
      await page.locator('.content-inner').first().waitFor();
    },
    snap: (name) => snapPage(page, name),
    pickedFolder: options.pickedFolder,
    pickFolderRequests,
  };
  picker = app;

  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  // The secret URL: the web host sets the session cookie and redirects to / (the #route is kept).
  await page.goto(`${host.openUrl}${startAt}`);
  mark('page loaded');
  await page.getByRole('navigation', { name: 'Main' }).waitFor({ state: 'visible', timeout: 30_000 });
  mark('shell visible');
  // Events sent before the page's WebSocket is open would be lost, as for a window still loading.
  await expect.poll(() => host.connections(), { timeout: 30_000 }).toBeGreaterThan(0);

  const close = async () => {
    unsubscribe.forEach((off) => off());
    await host.close();
    await services.dispose();
    await gitlab?.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { app, close };
}

export { expect };

/** Saves test-results/screenshots/<name>-light.png and -dark.png of what `page` shows. */
export async function snapPage(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.screenshot({
      path: join(SCREENSHOTS, `${name}-${colorScheme}.png`),
      animations: 'disabled',
      caret: 'hide',
    });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Skips a test that stores tokens when no Secret Service could be provided, saying why. */
export function requireKeyring() {
  test.skip(
    process.env.COSPEC_UI_KEYRING === 'missing',
    `no Secret Service for tokens: ${process.env.COSPEC_UI_KEYRING_REASON ?? ''}`,
  );
}
