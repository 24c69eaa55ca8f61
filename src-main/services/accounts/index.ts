/**
 * Connected GitLab accounts. Other main-process services use the internal API of the object
 * createAccountsService returns: credentialsFor (refreshes OAuth tokens), networkFor (the
 * dispatcher, CA bundle and proxy of an account), get, withToken and apiGet.
 */
export {
  createAccountsService,
  type AccountsService,
  type AccountsDeps,
  type Credentials,
  type OAuthConnectInput,
} from './service';
export { isBotAccount, warningsFor, inspectToken, REQUIRED_SCOPES } from './checks';
export { StoredAccountSchema, type StoredAccount } from './store';
export type { AccountAccess } from './access';
