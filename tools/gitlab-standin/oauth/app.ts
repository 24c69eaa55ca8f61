/** The OAuth application an admin registers for coSPEC (Admin Area → Applications, not confidential). */
export interface OAuthApp {
  name: string;
  clientId: string;
  redirectUris: string[];
  scopes: string[];
  confidential: false;
}

export const DEFAULT_REDIRECT_URIS = ['cospec://oauth/callback', 'http://127.0.0.1/callback'];

export function defaultApp(redirectUris: string[] = DEFAULT_REDIRECT_URIS): OAuthApp {
  return {
    name: 'coSPEC Desktop',
    clientId: 'cospec-desktop-local',
    redirectUris,
    scopes: ['api', 'read_user', 'read_api', 'read_repository', 'write_repository'],
    confidential: false,
  };
}

/**
 * Exact match against a registered URI, except that a loopback registration (127.0.0.1 or [::1])
 * matches any port, as RFC 8252 §7.3 asks and GitLab allows for native apps.
 */
export function redirectAllowed(app: OAuthApp, candidate: string): boolean {
  if (app.redirectUris.includes(candidate)) return true;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' || !['127.0.0.1', '[::1]'].includes(url.hostname) || !url.port) return false;
  const portless = new URL(candidate);
  portless.port = '';
  return app.redirectUris.includes(portless.toString());
}
