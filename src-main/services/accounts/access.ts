import type { Dispatcher } from 'undici';
import type { Account } from '../../../src-shared/model/account';
import type { GitLabGet } from '../repositories/gitlab-projects';
import type { Credentials } from './service';

/**
 * What the accounts service offers other main-process services (its internal API, never over IPC):
 * an account's API, token, credentials and network. Each consumer picks the members it uses.
 */
export interface AccountAccess {
  get(accountId: string): Account | undefined;
  apiGet: GitLabGet;
  credentialsFor(accountId: string): Promise<Credentials>;
  /** Runs a call with the current token; may refresh and retry once when the call fails with UNAUTHORIZED. */
  withToken<T>(accountId: string, call: (token: string) => Promise<T>): Promise<T>;
  networkFor(accountId: string): { dispatcher: Dispatcher; caPem?: string; proxyUrl?: string };
}
