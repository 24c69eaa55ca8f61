import type { Session } from 'electron';
import type { Logger } from '../platform/logger';
import { CONTENT_SECURITY_POLICY } from './csp';

/** The parts of a Session the hardening touches; a test passes a recorder with the same shape. */
export type HardenedSession = Pick<
  Session,
  'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler' | 'setDisplayMediaRequestHandler'
> & { webRequest: Pick<Session['webRequest'], 'onHeadersReceived'> };

/**
 * The app needs no browser permission (camera, notifications, geolocation, USB, screen capture …),
 * so every request and check is refused, and every response carries the app's CSP even if it did
 * not come through the app:// handler.
 */
export function hardenSession(session: HardenedSession, logger: Logger): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    logger.warn('denied a permission request', { permission });
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
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
