import { CospecError } from '../../../src-shared/ipc/errors';
import { GITLAB_COM_URL, hostnameOf } from '../gitlab/url';
import { OAuthSettingsSchema, type SettingsStore } from '../settings/store';

/**
 * Which OAuth application (client id) to use for an instance. The seam for the managed policy:
 * an admin-provided id wins over the user's settings.
 */
export interface OAuthAppResolver {
  clientIdFor(instanceUrl: string): string | undefined;
}

export interface ResolverOptions {
  settings: SettingsStore;
  env?: NodeJS.ProcessEnv;
  /** The managed policy's application id for an instance (PolicyGuard.oauthApplicationId). */
  managed?: (instanceUrl: string) => string | undefined;
  /** The vendor build's gitlab.com application id (src-main/services/auth/built-in.ts): the last resort. */
  builtInGitLabComClientId?: string;
}

/** Managed policy, then settings; for gitlab.com also COSPEC_GITLAB_OAUTH_CLIENT_ID, then the build's own id. */
export function createOAuthAppResolver(options: ResolverOptions): OAuthAppResolver {
  const env = options.env ?? process.env;
  return {
    clientIdFor(instanceUrl) {
      const managed = options.managed?.(instanceUrl);
      if (managed) return managed;
      const oauth = options.settings.read('oauth', OAuthSettingsSchema);
      const own = oauth.applications.find((a) => a.instanceUrl.replace(/\/+$/, '') === instanceUrl)?.clientId;
      if (own) return own;
      if (instanceUrl === GITLAB_COM_URL)
        return env.COSPEC_GITLAB_OAUTH_CLIENT_ID || oauth.gitlabComClientId || options.builtInGitLabComClientId;
      return undefined;
    },
  };
}

export function notConfigured(instanceUrl: string): CospecError {
  const host = hostnameOf(instanceUrl);
  const where =
    instanceUrl === GITLAB_COM_URL
      ? 'set COSPEC_GITLAB_OAUTH_CLIENT_ID (or "oauth.gitlabComClientId" in coSPEC\'s settings) to the Application ID of the coSPEC application registered on gitlab.com'
      : `an admin must register an OAuth application on ${host} (Admin Area → Applications; not confidential; scopes api and read_user; redirect URIs cospec://oauth/callback and http://127.0.0.1/callback) and add its Application ID for this instance in coSPEC's settings or managed policy`;
  return new CospecError(
    'OAUTH_NOT_CONFIGURED',
    `Signing in with ${host} is not set up: ${where}. Alternatively, connect with a personal access token.`,
  );
}
