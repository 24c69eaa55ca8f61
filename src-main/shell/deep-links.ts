import type { App } from 'electron';
import { resolve } from 'node:path';

export const DEEP_LINK_SCHEME = 'cospec';

/** The first cospec:// URL among command-line arguments (Windows and Linux deliver deep links there). */
export function findDeepLink(argv: readonly string[]): string | undefined {
  return argv.find((arg) => arg.toLowerCase().startsWith(`${DEEP_LINK_SCHEME}://`));
}

export interface ProtocolRegistrationContext {
  platform: NodeJS.Platform;
  isPackaged: boolean;
  /** process.defaultApp: true when started as `electron path/to/app` (development). */
  defaultApp: boolean;
  argv: readonly string[];
  execPath: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Registers cospec:// with the OS and reports whether a deep link can actually reach this app.
 * Linux resolves the scheme through an installed .desktop file, which a development build and a
 * non-integrated AppImage do not have, so there the OAuth flow uses the loopback redirect instead.
 */
export function registerProtocolClient(
  app: Pick<App, 'setAsDefaultProtocolClient'>,
  ctx: ProtocolRegistrationContext,
): boolean {
  // In development Electron runs as `electron <app dir>`: the OS must be told to pass that path too.
  const registered =
    ctx.defaultApp && ctx.argv[1] !== undefined
      ? app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, ctx.execPath, [resolve(ctx.argv[1])])
      : app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  if (ctx.platform === 'linux' && (!ctx.isPackaged || ctx.env.APPIMAGE !== undefined)) return false;
  return registered;
}

export interface DeepLinkRouting {
  app: Pick<App, 'on'>;
  /** Handles one cospec:// URL (the services' handleDeepLink, once they exist). */
  deliver(url: string): void;
  /** Brings the window to the front; a second launch means the user wants to see the app. */
  focus(): void;
}

/**
 * Routes deep links delivered after start: macOS `open-url`, and on Windows and Linux the argv of
 * a second launch, which the single-instance lock turns into `second-instance` on this process.
 */
export function routeDeepLinks(routing: DeepLinkRouting): void {
  routing.app.on('open-url', (event, url) => {
    event.preventDefault();
    routing.deliver(url);
  });
  routing.app.on('second-instance', (_event, argv) => {
    routing.focus();
    const url = findDeepLink(argv);
    if (url) routing.deliver(url);
  });
}

/**
 * Holds deep links until the services are ready (macOS fires open-url before `ready` on a cold
 * start), then delivers them in order. Errors are reported, never thrown into Electron's event loop.
 */
export function createDeepLinkQueue(onError: (error: unknown) => void) {
  const pending: string[] = [];
  let handler: ((url: string) => Promise<void>) | undefined;
  const run = (url: string) => handler!(url).catch(onError);
  return {
    push(url: string) {
      if (handler) void run(url);
      else pending.push(url);
    },
    /** Sets the handler and delivers what arrived before it. */
    ready(next: (url: string) => Promise<void>) {
      handler = next;
      for (const url of pending.splice(0)) void run(url);
    },
  };
}

/**
 * What to tell the user about a cospec:// link the services refused, when no sign-in is waiting to
 * show it: a link that is not ours, or a response to a sign-in this app never started. Errors of a
 * pending sign-in reach the window through accounts.waitForOAuth instead, so they return undefined.
 */
export function strayLinkMessage(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'INVALID_DEEP_LINK' && code !== 'OAUTH_STATE_MISMATCH') return undefined;
  return error instanceof Error ? error.message : undefined;
}
