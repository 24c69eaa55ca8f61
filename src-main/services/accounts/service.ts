import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { ConnectResult, accountsContract } from '../../../src-shared/ipc/services/accounts';
import {
  NetworkSettingsSchema,
  type Account,
  type AuthMethod,
  type NetworkSettings,
} from '../../../src-shared/model/account';
import type { EventBus } from '../../platform/events';
import type { Logger } from '../../platform/logger';
import { refreshTokens, revokeToken, type OAuthTokens } from '../auth/oauth-client';
import {
  createAccountNetwork,
  GitLabClient,
  normalizeInstanceUrl,
  type AccountNetwork,
  type GitLabUser,
  type RateLimitWait,
} from '../gitlab';
import { secretKeys, type SecretStore } from '../secrets';
import type { SettingsStore } from '../settings/store';
import { inspectToken, isBotAccount, warningsFor } from './checks';
import { AccountRepository, toPublic, type StoredAccount } from './store';

export interface AccountsDeps {
  settings: SettingsStore;
  secrets: SecretStore;
  events: EventBus;
  logger: Logger;
  resolveProxy?: (url: string) => Promise<string>;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** Instance gate from the managed policy (POLICY_FORBIDS); absent means everything is allowed. */
  assertInstanceAllowed?: (instanceUrl: string) => void;
  /** The managed policy's entry for an instance: its CA and proxy apply on top of the user's settings. */
  managedInstance?: (
    instanceUrl: string,
  ) => { caCertificatesPem?: string; proxyUrl?: string; noProxy?: string } | undefined;
  /** Deletes other services' cached data of an account (project lists, clones) on disconnect. */
  onDisconnected?: (accountId: string) => Promise<void>;
  /** Test seam: per-request timeout and retry pacing of GitLab calls. */
  http?: { timeoutMs?: number; retries?: number; baseBackoffMs?: number };
}

/** The internal API other main-process services use; never exposed over IPC. */
export interface Credentials {
  token: string;
  username: string;
  authMethod: AuthMethod;
}

/** What an OAuth flow hands over once the code is exchanged. */
export interface OAuthConnectInput {
  instanceUrl: string;
  clientId: string;
  network: NetworkSettings;
  tokens: OAuthTokens;
}

const REFRESH_MARGIN_MS = 60_000;
const AUTH_FAILURES = new Set(['UNAUTHORIZED', 'TOKEN_EXPIRED', 'TOKEN_REVOKED']);
/** Answers after which the stored credentials can never work again: the user has to sign in again. */
const DEAD_CREDENTIALS = new Set(['SIGN_IN_AGAIN', 'UNAUTHORIZED', 'TOKEN_EXPIRED', 'TOKEN_REVOKED']);

/** The health of an account after a failure; dead credentials are flagged for signing in again. */
function errorHealth(error: CospecError, at: Date): Account['health'] {
  return {
    status: 'error',
    code: error.code,
    message: error.message,
    checkedAt: at.toISOString(),
    ...(DEAD_CREDENTIALS.has(error.code) ? { signInAgain: true } : {}),
  };
}

export type AccountsService = Awaited<ReturnType<typeof createAccountsService>>;

/** Connected GitLab accounts: validation, storage, health, per-account network and credentials. */
export async function createAccountsService(deps: AccountsDeps) {
  const now = deps.now ?? (() => new Date());
  const repo = new AccountRepository(deps.settings);
  const networks = new Map<string, AccountNetwork>();
  const refreshing = new Map<string, Promise<string>>();
  const log = deps.logger.child({ service: 'accounts' });

  /** The user's settings with the admin's managed CA and proxy applied (policy wins on the proxy, CAs add up). */
  const effective = (instanceUrl: string, settings: NetworkSettings): NetworkSettings => {
    const managed = deps.managedInstance?.(instanceUrl);
    if (!managed) return settings;
    return {
      ...settings,
      caCertificatesPem:
        [managed.caCertificatesPem, settings.caCertificatesPem].filter(Boolean).join('\n') || undefined,
      proxyUrl: managed.proxyUrl ?? settings.proxyUrl,
      noProxy: managed.noProxy ?? settings.noProxy,
    };
  };
  const buildNetwork = (instanceUrl: string, settings: NetworkSettings) =>
    createAccountNetwork(instanceUrl, effective(instanceUrl, settings), {
      env: deps.env,
      resolveProxy: deps.resolveProxy,
    });
  const clientFor = (instanceUrl: string, net: AccountNetwork) =>
    new GitLabClient({ instanceUrl, dispatcher: net.dispatcher, proxyUrl: net.proxyUrl, ...deps.http });

  for (const account of repo.all()) {
    try {
      networks.set(account.id, await buildNetwork(account.instanceUrl, account.network));
    } catch (error) {
      log.warn('could not set up the network of an account', { accountId: account.id, error });
    }
  }

  const publicList = () => repo.all().map(toPublic);
  const changed = () => deps.events.emit('accounts.didChange', publicList());

  function require(id: string): StoredAccount {
    const account = repo.find(id);
    if (!account) throw new CospecError('NOT_FOUND', 'This account is not connected (any more). Refresh the list.');
    return account;
  }

  async function network(account: StoredAccount): Promise<AccountNetwork> {
    let net = networks.get(account.id);
    if (!net) {
      net = await buildNetwork(account.instanceUrl, account.network);
      networks.set(account.id, net);
    }
    return net;
  }

  function replaceNetwork(id: string, net: AccountNetwork) {
    const old = networks.get(id);
    networks.set(id, net);
    if (old && old !== net) void old.close().catch(() => undefined);
  }

  /** Saves secrets first, then metadata, so a crash in between never leaves an account without a token. */
  async function save(account: StoredAccount, tokens: { access: string; refresh?: string }): Promise<void> {
    await deps.secrets.set(secretKeys.token(account.id), tokens.access);
    if (tokens.refresh) await deps.secrets.set(secretKeys.refresh(account.id), tokens.refresh);
    else await deps.secrets.delete(secretKeys.refresh(account.id));
    repo.put(account);
  }

  function profile(user: GitLabUser) {
    return {
      userId: user.id,
      username: user.username,
      name: user.name,
      avatarUrl: user.avatar_url ?? null,
      webUrl: user.web_url ?? null,
      isBot: isBotAccount(user),
    };
  }

  /** Same instance + same GitLab user: a PAT reconnect replaces the token in place (a rotated token is the usual reason). */
  function existingFor(instanceUrl: string, userId: number, method: AuthMethod): StoredAccount | undefined {
    const existing = repo.all().find((a) => a.instanceUrl === instanceUrl && a.userId === userId);
    if (existing && existing.authMethod !== method) {
      throw new CospecError(
        'ACCOUNT_EXISTS',
        `${existing.username} on ${existing.host} is already connected with ${existing.authMethod === 'oauth' ? 'OAuth' : 'a personal access token'}. Disconnect it first to switch.`,
      );
    }
    return existing;
  }

  async function refreshAccess(account: StoredAccount): Promise<string> {
    const inflight = refreshing.get(account.id);
    if (inflight) return inflight;
    const run = (async () => {
      const refresh = await deps.secrets.get(secretKeys.refresh(account.id));
      const dead = (reason: string, detail?: string) => {
        const error = new CospecError(
          'SIGN_IN_AGAIN',
          `The sign-in of ${account.username} on ${account.host} no longer works: ${reason} Sign in again (Accounts → Sign in again, or \`cospec accounts add --oauth --url ${account.instanceUrl}\`).`,
          detail,
        );
        markHealth(account.id, error);
        return error;
      };
      if (!refresh || !account.oauthClientId) throw dead('coSPEC holds no refresh token for it.');
      const net = await network(account);
      let tokens: OAuthTokens;
      try {
        tokens = await refreshTokens(
          {
            instanceUrl: account.instanceUrl,
            clientId: account.oauthClientId,
            dispatcher: net.dispatcher,
            proxyUrl: net.proxyUrl,
          },
          refresh,
          now(),
        );
      } catch (error) {
        // A refused refresh is final (GitLab revoked the grant, or the application is gone); throttling,
        // outages and network trouble are not, and keep their own errors.
        if (
          error instanceof CospecError &&
          (error.code === 'OAUTH_INVALID_GRANT' || error.code === 'OAUTH_NOT_CONFIGURED')
        )
          throw dead(
            error.code === 'OAUTH_INVALID_GRANT'
              ? 'GitLab refused to renew it (it was revoked, or coSPEC’s access was removed on GitLab).'
              : 'GitLab no longer knows coSPEC’s OAuth application.',
            error.detail,
          );
        throw error;
      }
      const current = repo.find(account.id);
      if (!current) throw new CospecError('NOT_FOUND', 'The account was disconnected during a token refresh.');
      await save(
        { ...current, expiresAt: tokens.expiresAt?.toISOString() ?? null, scopes: tokens.scopes },
        { access: tokens.accessToken, refresh: tokens.refreshToken },
      );
      log.info('refreshed an OAuth token', { accountId: account.id });
      changed();
      return tokens.accessToken;
    })();
    refreshing.set(account.id, run);
    try {
      return await run;
    } finally {
      refreshing.delete(account.id);
    }
  }

  function markHealth(id: string, error: CospecError) {
    const current = repo.find(id);
    if (!current) return;
    repo.put({ ...current, health: errorHealth(error, now()) });
    changed();
  }

  /** The token of an account, refreshed first when it is OAuth and expires within a minute (or forceRefresh after a 401). */
  async function credentialsFor(accountId: string, options: { forceRefresh?: boolean } = {}): Promise<Credentials> {
    const account = require(accountId);
    let token: string | undefined;
    const expiring =
      account.authMethod === 'oauth' &&
      account.expiresAt !== null &&
      Date.parse(account.expiresAt) - now().getTime() < REFRESH_MARGIN_MS;
    if (account.authMethod === 'oauth' && (options.forceRefresh || expiring)) token = await refreshAccess(account);
    token ??= await deps.secrets.get(secretKeys.token(accountId));
    if (!token)
      throw new CospecError(
        'UNAUTHORIZED',
        `No token is stored for ${account.username} on ${account.host}. Reconnect the account.`,
      );
    return { token, username: account.username, authMethod: account.authMethod };
  }

  /** Runs an authenticated call; an OAuth account gets one refresh and retry after a 401. */
  async function withToken<T>(accountId: string, call: (token: string) => Promise<T>): Promise<T> {
    const first = await credentialsFor(accountId);
    try {
      return await call(first.token);
    } catch (error) {
      if (!(error instanceof CospecError) || !AUTH_FAILURES.has(error.code) || first.authMethod !== 'oauth')
        throw error;
      const again = await credentialsFor(accountId, { forceRefresh: true });
      return call(again.token);
    }
  }

  /** Adds or updates an account from a validated token. */
  async function upsert(input: {
    instanceUrl: string;
    host: string;
    method: AuthMethod;
    network: NetworkSettings;
    net: AccountNetwork;
    version: string;
    user: GitLabUser;
    scopes: string[];
    expiresAt: string | null;
    tokens: { access: string; refresh?: string };
    oauthClientId?: string;
    allowHttp: boolean;
  }): Promise<ConnectResult> {
    const existing = existingFor(input.instanceUrl, input.user.id, input.method);
    const at = now();
    const warnings = warningsFor({
      user: input.user,
      scopes: input.scopes,
      expiresAt: input.method === 'pat' ? input.expiresAt : '9999-12-31',
      kind: input.method,
      instanceUrl: input.instanceUrl,
      now: at,
    });
    const account: StoredAccount = {
      id: existing?.id ?? randomUUID(),
      instanceUrl: input.instanceUrl,
      host: input.host,
      authMethod: input.method,
      ...profile(input.user),
      scopes: input.scopes,
      expiresAt: input.expiresAt,
      gitlabVersion: input.version,
      network: input.network,
      health: { status: warnings.length > 0 ? 'warning' : 'ok', checkedAt: at.toISOString() },
      warnings,
      connectedAt: existing?.connectedAt ?? at.toISOString(),
      managed: Boolean(deps.managedInstance?.(input.instanceUrl)),
      oauthClientId: input.oauthClientId,
      allowHttp: input.allowHttp,
    };
    await save(account, input.tokens);
    replaceNetwork(account.id, input.net);
    log.info(existing ? 'updated the token of an account' : 'connected an account', {
      accountId: account.id,
      host: account.host,
      method: account.authMethod,
    });
    changed();
    return { account: toPublic(account), warnings };
  }

  const handlers: Omit<ServiceHandlers<typeof accountsContract>, 'beginOAuth' | 'waitForOAuth' | 'cancelOAuth'> = {
    async list() {
      // A damaged settings file is reported once: the first list after start-up rejects with
      // SETTINGS_CORRUPT (naming the backup), later calls return what could be read.
      const problem = deps.settings.takeProblem();
      if (problem) throw problem;
      return publicList();
    },

    async connectWithToken(input) {
      const target = normalizeInstanceUrl(input.instanceUrl, { allowHttp: input.allowHttp });
      deps.assertInstanceAllowed?.(target.instanceUrl);
      const settings = NetworkSettingsSchema.parse(input.network ?? {});
      const net = await buildNetwork(target.instanceUrl, settings);
      try {
        const token = input.token.trim();
        const found = await inspectToken(clientFor(target.instanceUrl, net), token, 'pat', now());
        return await upsert({
          instanceUrl: target.instanceUrl,
          host: target.host,
          method: 'pat',
          network: settings,
          net,
          version: found.version,
          user: found.user,
          scopes: found.pat?.scopes ?? [],
          expiresAt: found.pat?.expires_at ?? null,
          tokens: { access: token },
          allowHttp: input.allowHttp,
        });
      } catch (error) {
        await net.close().catch(() => undefined);
        throw error;
      }
    },

    async revalidate(id) {
      const account = require(id);
      const at = now();
      try {
        const net = await network(account);
        const found = await withToken(id, (token) =>
          inspectToken(clientFor(account.instanceUrl, net), token, account.authMethod, at),
        );
        const current = require(id);
        const scopes = found.pat?.scopes ?? current.scopes;
        const expiresAt = current.authMethod === 'pat' ? (found.pat?.expires_at ?? null) : current.expiresAt;
        const warnings = warningsFor({
          user: found.user,
          scopes,
          expiresAt: current.authMethod === 'pat' ? expiresAt : '9999-12-31',
          kind: current.authMethod,
          instanceUrl: current.instanceUrl,
          now: at,
        });
        repo.put({
          ...current,
          ...profile(found.user),
          scopes,
          expiresAt,
          gitlabVersion: found.version,
          warnings,
          health: { status: warnings.length > 0 ? 'warning' : 'ok', checkedAt: at.toISOString() },
        });
      } catch (error) {
        if (!(error instanceof CospecError)) throw error;
        const current = require(id);
        repo.put({ ...current, health: errorHealth(error, at) });
      }
      changed();
      return toPublic(require(id));
    },

    async updateNetwork(id, settings) {
      const account = require(id);
      const parsed = NetworkSettingsSchema.parse(settings);
      const net = await buildNetwork(account.instanceUrl, parsed);
      replaceNetwork(id, net);
      repo.put({ ...account, network: parsed });
      return handlers.revalidate(id);
    },

    async disconnect(id) {
      const account = require(id);
      if (account.authMethod === 'oauth' && account.oauthClientId) {
        const net = await network(account);
        const target = {
          instanceUrl: account.instanceUrl,
          clientId: account.oauthClientId,
          dispatcher: net.dispatcher,
          proxyUrl: net.proxyUrl,
        };
        for (const [key, hint] of [
          [secretKeys.refresh(id), 'refresh_token'],
          [secretKeys.token(id), 'access_token'],
        ] as const) {
          const token = await deps.secrets.get(key).catch(() => undefined);
          if (!token) continue;
          // Best effort: an unreachable instance must not keep the user from removing the account.
          await revokeToken(target, token, hint).catch((error: unknown) =>
            log.warn('could not revoke an OAuth token', { accountId: id, hint, error }),
          );
        }
      }
      await deps.secrets.delete(secretKeys.token(id));
      await deps.secrets.delete(secretKeys.refresh(id));
      repo.remove(id);
      const net = networks.get(id);
      networks.delete(id);
      await net?.close().catch(() => undefined);
      await deps
        .onDisconnected?.(id)
        .catch((error: unknown) => log.warn('could not delete cached data of an account', { accountId: id, error }));
      log.info('disconnected an account', { accountId: id, host: account.host });
      changed();
      return undefined;
    },
  };

  return {
    handlers,
    credentialsFor,
    withToken,
    /** The dispatcher, CA bundle and proxy every call of this account must use (API, git, OAuth). */
    networkFor(accountId: string): { dispatcher: AccountNetwork['dispatcher']; caPem?: string; proxyUrl?: string } {
      require(accountId);
      const net = networks.get(accountId);
      if (!net) throw new CospecError('INTERNAL', 'The network of this account is not ready yet; try again.');
      return { dispatcher: net.dispatcher, caPem: net.caPem, proxyUrl: net.proxyUrl };
    },
    /** One account as the UI sees it. */
    get(accountId: string): Account | undefined {
      const a = repo.find(accountId);
      return a && toPublic(a);
    },
    /** A GET on the account's API with its token and network (the shape the repositories service consumes). */
    async apiGet(
      accountId: string,
      pathAndQuery: string,
      signal?: AbortSignal,
      onRateLimit?: (wait: RateLimitWait) => void,
    ): Promise<{ json: unknown; headers: Headers }> {
      const account = require(accountId);
      const net = await network(account);
      const client = clientFor(account.instanceUrl, net);
      const { data, headers } = await withToken(accountId, (token) =>
        client.jsonWithHeaders(pathAndQuery, z.unknown(), { token, signal, onRateLimit }),
      );
      return { json: data, headers };
    },
    /** Connects (or updates) an account from tokens an OAuth flow obtained. */
    async connectOAuth(input: OAuthConnectInput): Promise<ConnectResult> {
      const target = normalizeInstanceUrl(input.instanceUrl, { allowHttp: input.instanceUrl.startsWith('http:') });
      const net = await buildNetwork(target.instanceUrl, input.network);
      try {
        const found = await inspectToken(clientFor(target.instanceUrl, net), input.tokens.accessToken, 'oauth', now());
        return await upsert({
          instanceUrl: target.instanceUrl,
          host: target.host,
          method: 'oauth',
          network: input.network,
          net,
          version: found.version,
          user: found.user,
          scopes: input.tokens.scopes,
          expiresAt: input.tokens.expiresAt?.toISOString() ?? null,
          tokens: { access: input.tokens.accessToken, refresh: input.tokens.refreshToken },
          oauthClientId: input.clientId,
          allowHttp: target.instanceUrl.startsWith('http:'),
        });
      } catch (error) {
        await net.close().catch(() => undefined);
        throw error;
      }
    },
    buildNetwork,
    async dispose() {
      await Promise.all([...networks.values()].map((n) => n.close().catch(() => undefined)));
      networks.clear();
    },
  };
}
