import { randomUUID } from 'node:crypto';
import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import { CospecError, toErrorEnvelope } from '../../../src-shared/ipc/errors';
import type { ConnectResult, accountsContract } from '../../../src-shared/ipc/services/accounts';
import { NetworkSettingsSchema, type NetworkSettings } from '../../../src-shared/model/account';
import type { Logger } from '../../platform/logger';
import type { AccountNetwork } from '../gitlab';
import { GITLAB_COM_URL, hostnameOf, normalizeInstanceUrl } from '../gitlab/url';
import { notConfigured, type OAuthAppResolver } from './app-resolver';
import { PROTOCOL_REDIRECT_URI, parseCallbackQuery, parseOAuthDeepLink, type CallbackParams } from './deep-link';
import { startLoopbackReceiver, type LoopbackReceiver } from './loopback';
import { buildAuthorizeUrl, exchangeCode, revokeToken, type OAuthTokens } from './oauth-client';

export interface OAuthFlowsDeps {
  resolver: OAuthAppResolver;
  openExternal(url: string): Promise<void>;
  protocolRegistered: boolean;
  buildNetwork(instanceUrl: string, settings: NetworkSettings): Promise<AccountNetwork>;
  /** Stores the account once tokens are in hand (accounts service). */
  connect(input: {
    instanceUrl: string;
    clientId: string;
    network: NetworkSettings;
    tokens: OAuthTokens;
  }): Promise<ConnectResult>;
  assertInstanceAllowed?: (instanceUrl: string) => void;
  logger: Logger;
  now?: () => Date;
  /** How long a flow waits for the browser (default 5 minutes). */
  timeoutMs?: number;
}

interface Flow {
  id: string;
  state: string;
  codeVerifier: string;
  redirectUri: string;
  kind: 'protocol' | 'loopback';
  instanceUrl: string;
  clientId: string;
  network: NetworkSettings;
  net: AccountNetwork;
  loopback?: LoopbackReceiver;
  timer: NodeJS.Timeout;
  done: Promise<ConnectResult>;
  resolve(result: ConnectResult): void;
  reject(error: CospecError): void;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** How many finished flows are remembered: their states, to recognise a replayed redirect, and their outcomes, for a late wait. */
const FINISHED_FLOWS_KEPT = 100;

/** OAuth 2 authorization-code flows with PKCE, completed by a cospec:// deep link or a loopback redirect. */
export function createOAuthFlows(deps: OAuthFlowsDeps) {
  const now = deps.now ?? (() => new Date());
  const timeoutMs = deps.timeoutMs ?? 5 * 60_000;
  const flows = new Map<string, Flow>();
  const byState = new Map<string, Flow>();
  const usedStates: string[] = [];
  /**
   * The outcome of each flow a redirect or a cancel has consumed, by id: the window's wait for a
   * flow is a call of its own after beginOAuth, and a browser that comes back first (a sign-in it
   * remembers redirects at once, on a busy machine) must not make it look failed.
   */
  const outcomes = new Map<string, Promise<ConnectResult>>();
  const log = deps.logger.child({ service: 'auth' });

  /** Takes a flow out of the pending ones, so no second redirect or cancel can use it; its outcome stays to wait for. */
  function consume(flow: Flow) {
    flows.delete(flow.id);
    byState.delete(flow.state);
    outcomes.set(flow.id, flow.done);
    if (outcomes.size > FINISHED_FLOWS_KEPT) outcomes.delete(outcomes.keys().next().value!);
  }

  /** Ends a flow and lets go of what it holds; every exit path goes through here. */
  async function end(flow: Flow) {
    consume(flow);
    clearTimeout(flow.timer);
    usedStates.push(flow.state);
    if (usedStates.length > FINISHED_FLOWS_KEPT) usedStates.shift();
    await flow.loopback?.close();
    await flow.net.close().catch(() => undefined);
  }

  async function fail(flow: Flow, error: CospecError) {
    await end(flow);
    flow.reject(error);
  }

  /** Looks a redirect up by state; an unknown state consumes nothing. */
  function match(params: CallbackParams, kind: Flow['kind']): Flow {
    const flow = params.state ? byState.get(params.state) : undefined;
    if (!flow || flow.kind !== kind) {
      if (params.state && usedStates.includes(params.state)) {
        throw new CospecError(
          'OAUTH_INVALID_GRANT',
          'This sign-in link was already used. If you are connecting an account, start again.',
        );
      }
      throw new CospecError(
        'OAUTH_STATE_MISMATCH',
        'This sign-in response does not belong to a sign-in coSPEC started (its state does not match), so it was ignored. If you are connecting an account, finish it in the browser tab coSPEC opened, or start again.',
        params.state ? 'unknown state' : 'no state',
      );
    }
    return flow;
  }

  async function complete(flow: Flow, params: CallbackParams, query: URLSearchParams): Promise<ConnectResult> {
    // Consumed before any await: a second redirect with the same state finds nothing.
    consume(flow);
    const host = hostnameOf(flow.instanceUrl);
    let tokens: OAuthTokens | undefined;
    try {
      if (params.error) {
        if (params.error === 'access_denied')
          throw new CospecError('OAUTH_DENIED', `You did not authorize coSPEC on ${host}, so nothing was connected.`);
        throw new CospecError(
          'OAUTH_INVALID_GRANT',
          `${host} could not complete the sign-in (${params.error}). Start again.`,
          params.error_description,
        );
      }
      tokens = await exchangeCode(
        {
          instanceUrl: flow.instanceUrl,
          clientId: flow.clientId,
          dispatcher: flow.net.dispatcher,
          proxyUrl: flow.net.proxyUrl,
        },
        query,
        flow.state,
        flow.redirectUri,
        flow.codeVerifier,
        now(),
      );
      const result = await deps.connect({
        instanceUrl: flow.instanceUrl,
        clientId: flow.clientId,
        network: flow.network,
        tokens,
      });
      await end(flow);
      flow.resolve(result);
      return result;
    } catch (caught) {
      const error = caught instanceof CospecError ? caught : CospecError.fromEnvelope(toErrorEnvelope(caught));
      if (tokens) await revokeQuietly(flow, tokens);
      log.info('OAuth flow failed', { flowId: flow.id, code: error.code });
      await fail(flow, error);
      throw error;
    }
  }

  /** Tokens obtained for an account that could not be stored are revoked, so nothing outlives the failure. */
  async function revokeQuietly(flow: Flow, tokens: OAuthTokens) {
    const target = {
      instanceUrl: flow.instanceUrl,
      clientId: flow.clientId,
      dispatcher: flow.net.dispatcher,
      proxyUrl: flow.net.proxyUrl,
    };
    await revokeToken(target, tokens.accessToken, 'access_token').catch(() => undefined);
    if (tokens.refreshToken) await revokeToken(target, tokens.refreshToken, 'refresh_token').catch(() => undefined);
  }

  const handlers: Pick<ServiceHandlers<typeof accountsContract>, 'beginOAuth' | 'waitForOAuth' | 'cancelOAuth'> = {
    async beginOAuth(input) {
      const requested = input.instanceUrl?.trim() || GITLAB_COM_URL;
      // http only for a GitLab on this very machine (development); the token then never leaves it.
      const isLocal = /^http:\/\//i.test(requested) && LOOPBACK_HOSTS.has(new URL(requested).host.replace(/:\d+$/, ''));
      const { instanceUrl } = normalizeInstanceUrl(requested, { allowHttp: isLocal });
      deps.assertInstanceAllowed?.(instanceUrl);
      const clientId = deps.resolver.clientIdFor(instanceUrl);
      if (!clientId) throw notConfigured(instanceUrl);
      const network = NetworkSettingsSchema.parse(input.network ?? {});
      const kind =
        input.redirect === 'protocol' || (input.redirect === 'auto' && deps.protocolRegistered)
          ? 'protocol'
          : 'loopback';
      const net = await deps.buildNetwork(instanceUrl, network);
      const id = randomUUID();
      let loopback: LoopbackReceiver | undefined;
      if (kind === 'loopback') {
        loopback = await startLoopbackReceiver(async (query) => {
          let params: CallbackParams;
          try {
            params = parseCallbackQuery(query);
            const flow = match(params, 'loopback');
            if (flow.id !== id)
              throw new CospecError('OAUTH_STATE_MISMATCH', 'This response belongs to another sign-in.');
            await complete(flow, params, query);
            return { status: 200, title: 'Connected', message: 'You can close this tab and return to coSPEC Desktop.' };
          } catch (error) {
            const envelope = toErrorEnvelope(error);
            return {
              status: 400,
              title: 'Sign-in not completed',
              message: `${envelope.message} You can close this tab.`,
            };
          }
        });
      }
      const redirectUri = loopback?.redirectUri ?? PROTOCOL_REDIRECT_URI;
      const { authorizeUrl, state, codeVerifier } = await buildAuthorizeUrl({ instanceUrl, clientId }, redirectUri);
      let resolve!: (r: ConnectResult) => void;
      let reject!: (e: CospecError) => void;
      const done = new Promise<ConnectResult>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      done.catch(() => undefined); // a flow nobody waits for must not become an unhandled rejection
      const flow: Flow = {
        id,
        state,
        codeVerifier,
        redirectUri,
        kind,
        instanceUrl,
        clientId,
        network,
        net,
        loopback,
        done,
        resolve,
        reject,
        timer: setTimeout(() => {
          void fail(
            flow,
            new CospecError(
              'OAUTH_TIMEOUT',
              `The sign-in on ${hostnameOf(instanceUrl)} was not completed in time. Start "Connect Account" again when you are ready.`,
            ),
          );
        }, timeoutMs),
      };
      flow.timer.unref();
      flows.set(id, flow);
      byState.set(state, flow);
      try {
        await deps.openExternal(authorizeUrl);
      } catch (error) {
        await fail(flow, new CospecError('INTERNAL', 'The browser could not be opened for signing in.', String(error)));
        throw new CospecError(
          'INTERNAL',
          'coSPEC could not open your browser. Open this address yourself to continue.',
          authorizeUrl,
        );
      }
      log.info('OAuth flow started', { flowId: id, host: hostnameOf(instanceUrl), redirect: kind });
      return { flowId: id, authorizeUrl, redirectUri, expiresAt: new Date(now().getTime() + timeoutMs).toISOString() };
    },

    async waitForOAuth(flowId) {
      const done = flows.get(flowId)?.done ?? outcomes.get(flowId);
      if (!done) throw new CospecError('NOT_FOUND', 'This sign-in was never started, or finished long ago.');
      return done;
    },

    async cancelOAuth(flowId) {
      const flow = flows.get(flowId);
      if (flow) await fail(flow, new CospecError('CANCELLED', 'The sign-in was cancelled.'));
      return undefined;
    },
  };

  return {
    handlers,
    /** Handles cospec://oauth/callback from the OS; throws the error the waiting flow also receives. */
    async handleDeepLink(url: string): Promise<void> {
      const params = parseOAuthDeepLink(url);
      const flow = match(params, 'protocol');
      await complete(flow, params, new URL(url).searchParams);
    },
    /** Whether any flow is pending (for tests and diagnostics). */
    pendingCount: () => flows.size,
    async dispose() {
      await Promise.all(
        [...flows.values()].map((f) => fail(f, new CospecError('CANCELLED', 'coSPEC is shutting down.'))),
      );
    },
  };
}
