import type { GitCredentials } from '../git/types';
import type { Credentials } from './service';

/**
 * git's HTTP Basic credentials for an account: GitLab takes OAuth tokens over git as
 * `oauth2:<token>`, and a personal access token with any user name (the account's own keeps logs
 * readable). src-main/services/gateway/headers.ts builds the same `oauth2` form for the gateway.
 */
export function gitCredentialsOf(c: Credentials): GitCredentials {
  return { username: c.authMethod === 'oauth' ? 'oauth2' : c.username, password: c.token };
}
