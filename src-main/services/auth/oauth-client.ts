import * as oauth from 'oauth4webapi';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { CospecError } from '../../../src-shared/ipc/errors';
import { diagnoseNetworkError } from '../gitlab/diagnose';
import { hostnameOf } from '../gitlab/url';
import { oauthEndpointError, type OAuthEndpoint } from './oauth-errors';

/** GitLab's OAuth scopes coSPEC asks for: the API (clone, push, merge requests) and the user's identity. */
export const OAUTH_SCOPES = ['api', 'read_user'] as const;

/** The endpoints of one instance and the network to reach them with. */
export interface OAuthTarget {
  instanceUrl: string;
  clientId: string;
  dispatcher: Dispatcher;
  proxyUrl?: string;
}

export interface OAuthTokens {
  accessToken: string;
  refreshToken?: string;
  /** Absolute expiry of the access token; undefined when GitLab gave none. */
  expiresAt?: Date;
  scopes: string[];
}

export function authorizationServer(instanceUrl: string): oauth.AuthorizationServer {
  return {
    issuer: instanceUrl,
    authorization_endpoint: `${instanceUrl}/oauth/authorize`,
    token_endpoint: `${instanceUrl}/oauth/token`,
    revocation_endpoint: `${instanceUrl}/oauth/revoke`,
  };
}

/** oauth4webapi options that route its requests through the account's dispatcher (proxy, CA). */
function requestOptions(target: OAuthTarget) {
  const customFetch = async (url: string, init: oauth.CustomFetchOptions<string, unknown>): Promise<Response> =>
    (await undiciFetch(url, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher: target.dispatcher,
    })) as unknown as Response;
  return {
    [oauth.customFetch]: customFetch,
    // http is only ever reached here for an instance the user explicitly allowed http for.
    [oauth.allowInsecureRequests]: target.instanceUrl.startsWith('http:'),
  };
}

/** The authorize URL with S256 PKCE, a fresh state and the requested scopes. */
export async function buildAuthorizeUrl(target: Pick<OAuthTarget, 'instanceUrl' | 'clientId'>, redirectUri: string) {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const challenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
  const url = new URL(`${target.instanceUrl}/oauth/authorize`);
  url.searchParams.set('client_id', target.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', OAUTH_SCOPES.join(' '));
  url.searchParams.set('state', state);
  url.searchParams.set('code_challenge', challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return { authorizeUrl: url.toString(), state, codeVerifier };
}

/** Exchanges the authorization code with the PKCE verifier. */
export async function exchangeCode(
  target: OAuthTarget,
  callback: URLSearchParams,
  expectedState: string,
  redirectUri: string,
  codeVerifier: string,
  now: Date,
): Promise<OAuthTokens> {
  const as = authorizationServer(target.instanceUrl);
  const client: oauth.Client = { client_id: target.clientId };
  return guard(target, now, async () => {
    const params = oauth.validateAuthResponse(as, client, callback, expectedState);
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      redirectUri,
      codeVerifier,
      requestOptions(target),
    );
    return oauth.processAuthorizationCodeResponse(as, client, await okOrRefusal(response, 'exchange', target));
  });
}

/** Uses a refresh token; GitLab rotates it, so the answer's refresh token replaces the old one. */
export async function refreshTokens(target: OAuthTarget, refreshToken: string, now: Date): Promise<OAuthTokens> {
  const as = authorizationServer(target.instanceUrl);
  const client: oauth.Client = { client_id: target.clientId };
  const tokens = await guard(target, now, async () => {
    const response = await oauth.refreshTokenGrantRequest(
      as,
      client,
      oauth.None(),
      refreshToken,
      requestOptions(target),
    );
    return oauth.processRefreshTokenResponse(as, client, await okOrRefusal(response, 'refresh', target));
  });
  return { ...tokens, refreshToken: tokens.refreshToken ?? refreshToken };
}

/** Revokes one token (access or refresh) at /oauth/revoke. */
export async function revokeToken(
  target: OAuthTarget,
  token: string,
  hint: 'access_token' | 'refresh_token',
): Promise<void> {
  const as = authorizationServer(target.instanceUrl);
  const client: oauth.Client = { client_id: target.clientId };
  await guard(target, new Date(), async () => {
    const response = await oauth.revocationRequest(as, client, oauth.None(), token, {
      ...requestOptions(target),
      additionalParameters: { token_type_hint: hint },
    });
    await oauth.processRevocationResponse(await okOrRefusal(response, 'revoke', target));
    return undefined;
  });
}

const MAX_ERROR_BODY = 64 * 1024;

/**
 * Reads a refusal before oauth4webapi does: GitLab sends a WWW-Authenticate challenge with every
 * token endpoint error, on which the library throws a generic challenge error, and it rejects
 * non-JSON answers (a 429 or a proxy's page) before their status can be looked at.
 */
async function okOrRefusal(response: Response, endpoint: OAuthEndpoint, target: OAuthTarget): Promise<Response> {
  if (response.status === 200) return response;
  const body = await boundedText(response, MAX_ERROR_BODY);
  throw oauthEndpointError(endpoint, hostnameOf(target.instanceUrl), {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body,
    wwwAuthenticate: response.headers.get('www-authenticate'),
    retryAfter: response.headers.get('retry-after'),
  });
}

async function boundedText(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function guard<T>(
  target: OAuthTarget,
  now: Date,
  run: () => Promise<T>,
): Promise<T extends oauth.TokenEndpointResponse ? OAuthTokens : T> {
  const host = hostnameOf(target.instanceUrl);
  try {
    const result = await run();
    return (isTokenResponse(result) ? toTokens(result, now) : result) as T extends oauth.TokenEndpointResponse
      ? OAuthTokens
      : T;
  } catch (error) {
    if (error instanceof oauth.AuthorizationResponseError) {
      if (error.error === 'access_denied')
        throw new CospecError(
          'OAUTH_DENIED',
          `Access was not granted on ${host}. Start "Connect Account" again if you want to connect.`,
        );
      throw new CospecError(
        'OAUTH_INVALID_GRANT',
        `${host} reported a sign-in error (${error.error}). Start "Connect Account" again.`,
        error.error_description,
      );
    }
    if (error instanceof oauth.ResponseBodyError || error instanceof oauth.WWWAuthenticateChallengeError) {
      // okOrRefusal reads every non-200 answer first; this covers a refusal with an unexpected success status.
      throw new CospecError('NOT_GITLAB', `${host} answered the sign-in in a way GitLab does not.`, error.message);
    }
    if (error instanceof oauth.OperationProcessingError || error instanceof CospecError) {
      if (error instanceof CospecError) throw error;
      throw new CospecError(
        'NOT_GITLAB',
        `${host} answered the sign-in in a way coSPEC does not understand.`,
        error.message,
      );
    }
    throw diagnoseNetworkError(error, { host, proxyUrl: target.proxyUrl });
  }
}

function isTokenResponse(value: unknown): value is oauth.TokenEndpointResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { access_token?: unknown }).access_token === 'string'
  );
}

function toTokens(response: oauth.TokenEndpointResponse, now: Date): OAuthTokens {
  return {
    accessToken: response.access_token,
    refreshToken: response.refresh_token,
    expiresAt:
      typeof response.expires_in === 'number' ? new Date(now.getTime() + response.expires_in * 1000) : undefined,
    scopes: (response.scope ?? OAUTH_SCOPES.join(' ')).split(/\s+/).filter(Boolean),
  };
}
