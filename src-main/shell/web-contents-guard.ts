import type { Event, HandlerDetails, WebContents, WindowOpenHandlerResponse } from 'electron';
import type { Logger } from '../platform/logger';
import { vetExternalUrl } from '../../src-shared/ipc/external-url';
import { isAppUrl } from './app-protocol';

/** The parts of a WebContents the guard touches; a test passes a recorder with the same shape. */
export type GuardedContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

export interface GuardOptions {
  /** Opens a vetted http(s) URL in the system browser. */
  openExternal(url: string): Promise<void>;
  logger: Logger;
}

/**
 * Denies everything that would take the window away from the app's own pages: navigation to any
 * other origin, redirects, new windows and <webview>. A link to an ordinary web page is handed to
 * the system browser instead, after the same vetting the app.openExternal call uses.
 */
export function guardWebContents(contents: GuardedContents, options: GuardOptions): void {
  // Idempotent: the app-wide web-contents-created hook and the window factory may both call this.
  if (guarded.has(contents)) return;
  guarded.add(contents);
  const handOff = (url: string, why: string) => {
    let vetted: URL;
    try {
      vetted = vetExternalUrl(url);
    } catch {
      options.logger.warn('blocked a link the app does not open', { why, url: safeForLog(url) });
      return;
    }
    const opened = options.openExternal(vetted.toString());
    opened.catch((error: unknown) => options.logger.warn('could not open link', { error }));
  };

  contents.on('will-navigate', (event: Event, url: string) => {
    if (isAppUrl(url)) return; // reloading or moving between the app's own pages
    event.preventDefault();
    handOff(url, 'navigation');
  });
  contents.on('will-redirect', (event: Event, url: string) => {
    if (isAppUrl(url)) return;
    event.preventDefault();
    options.logger.warn('blocked a redirect away from the app', { url: safeForLog(url) });
  });
  contents.on('will-frame-navigate', (event: Event & { url: string; isMainFrame: boolean }) => {
    // Sub-frames have no business in this app; the main frame is covered by will-navigate above.
    if (!event.isMainFrame) event.preventDefault();
  });
  contents.on('will-attach-webview', (event: Event) => {
    event.preventDefault();
    options.logger.warn('blocked a <webview>');
  });
  contents.setWindowOpenHandler((details: HandlerDetails): WindowOpenHandlerResponse => {
    handOff(details.url, 'window.open');
    return { action: 'deny' };
  });
}

const guarded = new WeakSet<GuardedContents>();

/** Only scheme and host reach the log: a URL may carry an OAuth code or a token in its query. */
function safeForLog(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.protocol}//${url.host}`;
  } catch {
    return '(not a URL)';
  }
}
