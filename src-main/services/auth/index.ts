export { createOAuthFlows, type OAuthFlowsDeps } from './flows';
export { createOAuthAppResolver, type OAuthAppResolver } from './app-resolver';
export { parseOAuthDeepLink, PROTOCOL_REDIRECT_URI } from './deep-link';
export { OAUTH_SCOPES, type OAuthTokens } from './oauth-client';
