import type { Session } from 'electron';
import type { Logger } from '../platform/logger';
import { APP_ORIGIN, isAppUrl } from './app-protocol';
import { CONTENT_SECURITY_POLICY } from '../platform/csp';

/** The parts of a Session the hardening touches; a test passes a recorder with the same shape. */
export type HardenedSession = Pick<
  Session,
  | 'setPermissionRequestHandler'
  | 'setPermissionCheckHandler'
  | 'setDevicePermissionHandler'
  | 'setDisplayMediaRequestHandler'
> & { webRequest: Pick<Session['webRequest'], 'onHeadersReceived'> };

/**
 * The only browser permission the app uses: desktop notifications when a run ends, asked for by
 * the app's own page (app://cospec main frame). Everything else (camera, microphone, geolocation,
 * clipboard, USB, screen capture …) and anything asked for by another origin is refused.
 */
const ALLOWED_FOR_APP = new Set(['notifications']);

/**
 * Refuses every permission the app does not need, and puts the app's CSP on every response even if
 * it did not come through the app:// handler.
 */
export function hardenSession(session: HardenedSession, logger: Logger): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const granted = ALLOWED_FOR_APP.has(permission) && details.isMainFrame && isAppUrl(details.requestingUrl);
    if (!granted) logger.warn('denied a permission request', { permission });
    callback(granted);
  });
  session.setPermissionCheckHandler(
    (_contents, permission, requestingOrigin) => ALLOWED_FOR_APP.has(permission) && requestingOrigin === APP_ORIGIN,
  );
  session.setDevicePermissionHandler(() => false);
  session.setDisplayMediaRequestHandler((_request, callback) => {
    logger.warn('denied a screen capture request');
    // An empty answer rejects getDisplayMedia.
    callback({});
  });
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}
