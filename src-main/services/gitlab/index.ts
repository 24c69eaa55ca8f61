export { normalizeInstanceUrl, hostnameOf, GITLAB_COM_URL, type InstanceUrl } from './url';
export { createAccountNetwork, parseCaPem, type AccountNetwork, type NetworkOptions } from './network';
export { parsePacResult, matchesNoProxy } from './proxy';
export {
  GitLabClient,
  retryAfterMs,
  type GitLabClientOptions,
  type GitLabRequest,
  type RawResponse,
  type RateLimitWait,
} from './client';
export { diagnoseNetworkError, diagnoseHttpStatus } from './diagnose';
export {
  VersionSchema,
  UserSchema,
  PersonalAccessTokenSchema,
  type GitLabUser,
  type PersonalAccessToken,
} from './schemas';
export { checkGitLabVersion, MIN_GITLAB_VERSION } from './version';
