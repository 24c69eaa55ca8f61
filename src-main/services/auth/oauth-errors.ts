import { z } from 'zod';
import { CospecError } from '../../../src-shared/ipc/errors';

/** Which OAuth endpoint answered: the code exchange, a token refresh or a revocation. */
export type OAuthEndpoint = 'exchange' | 'refresh' | 'revoke';

/** What an OAuth endpoint sent back instead of success, as read from the wire. */
export interface OAuthErrorAnswer {
  status: number;
  contentType: string;
  body: string;
  wwwAuthenticate: string | null;
  retryAfter: string | null;
}

const ErrorBodySchema = z.object({
  error: z.string().min(1).max(200),
  error_description: z.string().max(2000).optional(),
});

/**
 * The OAuth error in an answer: the JSON body GitLab (Doorkeeper) sends, else the Bearer challenge
 * in WWW-Authenticate that Doorkeeper sends along with it (`error="…", error_description="…"`).
 */
export function oauthErrorOf(answer: OAuthErrorAnswer): { error: string; description?: string } | undefined {
  if (/json/i.test(answer.contentType)) {
    try {
      const parsed = ErrorBodySchema.safeParse(JSON.parse(answer.body));
      if (parsed.success) return { error: parsed.data.error, description: parsed.data.error_description };
    } catch {
      // not JSON after all: try the header
    }
  }
  const header = answer.wwwAuthenticate ?? '';
  const error = /\berror="([^"]{1,200})"/.exec(header)?.[1];
  if (!error) return undefined;
  return { error, description: /\berror_description="([^"]{0,2000})"/.exec(header)?.[1] };
}

/**
 * Every way GitLab's /oauth/token and /oauth/revoke can refuse, as one clear error. A refused
 * refresh is OAUTH_INVALID_GRANT (the saved sign-in is dead: the user must sign in again); a
 * misconfigured application is OAUTH_NOT_CONFIGURED; throttling and outages keep their own codes.
 */
export function oauthEndpointError(endpoint: OAuthEndpoint, host: string, answer: OAuthErrorAnswer): CospecError {
  const found = oauthErrorOf(answer);
  const detail = found ? `${found.error}${found.description ? `: ${found.description}` : ''}` : undefined;
  if (answer.status === 429) {
    const seconds = Number(answer.retryAfter);
    const when = Number.isFinite(seconds) && seconds > 0 ? `in ${Math.ceil(seconds)} s` : 'in a minute';
    return new CospecError('RATE_LIMITED', `${host} is limiting sign-in requests. Try again ${when}.`, detail);
  }
  if (answer.status >= 500 || found?.error === 'server_error' || found?.error === 'temporarily_unavailable') {
    return new CospecError(
      'SERVER_ERROR',
      `${host} could not handle the sign-in request (${answer.status}). Try again in a moment.`,
      detail,
    );
  }
  if (!found) {
    return new CospecError(
      'NOT_GITLAB',
      `${host} answered the sign-in request with ${answer.status} in a way GitLab does not. Check the instance address.`,
    );
  }
  switch (found.error) {
    case 'invalid_grant':
      if (endpoint === 'refresh') {
        return new CospecError(
          'OAUTH_INVALID_GRANT',
          `${host} no longer accepts this account's sign-in (it was revoked, or coSPEC's access was removed on GitLab). Sign in again.`,
          detail,
        );
      }
      return new CospecError(
        'OAUTH_INVALID_GRANT',
        `${host} did not accept the sign-in code: it was already used, has expired, or belongs to another sign-in. Start "Connect Account" again.`,
        detail,
      );
    case 'invalid_client':
    case 'unauthorized_client':
      if (endpoint === 'revoke') {
        return new CospecError(
          'OAUTH_NOT_CONFIGURED',
          `${host} refused to revoke the token: it does not recognise coSPEC's OAuth application for it.`,
          detail,
        );
      }
      return new CospecError(
        'OAUTH_NOT_CONFIGURED',
        `${host} does not know coSPEC's OAuth application (its Application ID is wrong, or the application was deleted). Ask your GitLab administrator, or connect with a personal access token.`,
        detail,
      );
    case 'unsupported_grant_type':
    case 'invalid_scope':
      return new CospecError(
        'OAUTH_NOT_CONFIGURED',
        `${host}'s OAuth application for coSPEC does not allow this sign-in (${found.error}). It needs the scopes "api" and "read_user" and the authorization code flow.`,
        detail,
      );
    default:
      return new CospecError(
        'OAUTH_INVALID_GRANT',
        `${host} refused the sign-in request (${found.error}). ${endpoint === 'refresh' ? 'Sign in again.' : 'Start "Connect Account" again.'}`,
        detail,
      );
  }
}
