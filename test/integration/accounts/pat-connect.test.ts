import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { KEYRING_SERVICE } from '../../../src-main/services/secrets';
import { removeDir, startConnectProxy, startServices } from './harness';

type StandIn = Awaited<ReturnType<typeof startGitLabStandIn>>;
let gitlab: StandIn;
let ctx: Awaited<ReturnType<typeof startServices>>;

beforeAll(async () => {
  gitlab = await startGitLabStandIn({ tls: true });
  ctx = await startServices();
});
afterAll(async () => {
  await ctx?.services.dispose();
  await gitlab?.close();
  if (ctx) removeDir(ctx.dataDir);
});

const network = () => ({ caCertificatesPem: gitlab.caPem!, useSystemCa: true });
const connect = (token: string, extra: Record<string, unknown> = {}) =>
  ctx.accounts.connectWithToken({ instanceUrl: gitlab.url, token, allowHttp: false, network: network(), ...extra });
const codes = (warnings: Array<{ code: string }>) => warnings.map((w) => w.code).sort();
const keyringHas = (key: string) =>
  spawnSync('secret-tool', ['lookup', 'service', KEYRING_SERVICE, 'username', key], { encoding: 'utf8' }).stdout !== '';

describe('connect with a personal access token (GitLab stand-in over TLS)', () => {
  it("refuses the stand-in's certificate until its CA is added, then connects", async () => {
    const bot = gitlab.user('cospec-bot');
    await expect(
      ctx.accounts.connectWithToken({ instanceUrl: gitlab.url, token: bot.token, allowHttp: false }),
    ).rejects.toMatchObject({
      code: 'TLS_UNKNOWN_CA',
      message: expect.stringContaining('CA certificate (PEM)'),
    });
    const result = await connect(bot.token);
    expect(result.account).toMatchObject({
      username: 'cospec-bot',
      isBot: true,
      authMethod: 'pat',
      health: { status: expect.stringMatching(/ok|warning/) },
    });
    expect(result.account.scopes).toEqual(expect.arrayContaining(['api', 'read_user']));
    expect(codes(result.warnings)).not.toContain('PERSONAL_ACCOUNT');
    expect(keyringHas(`account:${result.account.id}:token`)).toBe(true);
    expect(ctx.changes.at(-1)?.map((a) => a.id)).toContain(result.account.id);
  });

  it('warns about a personal account (alice) and allows a second user on the same instance', async () => {
    const result = await connect(gitlab.user('alice').token);
    expect(result.account).toMatchObject({ username: 'alice', isBot: false });
    expect(codes(result.warnings)).toContain('PERSONAL_ACCOUNT');
    const list = await ctx.accounts.list();
    expect(list.map((a) => a.username).sort()).toEqual(['alice', 'cospec-bot']);
  });

  it('warns when the token expires within 7 days or never expires', async () => {
    expect(codes((await connect(gitlab.tokens.expiringSoon)).warnings)).toContain('TOKEN_EXPIRES_SOON');
    expect(codes((await connect(gitlab.tokens.noExpiry)).warnings)).toContain('NO_EXPIRY');
  });

  it('re-entering a token for a connected user updates that account instead of duplicating it', async () => {
    const before = await ctx.accounts.list();
    const fresh = await gitlab.createPersonalAccessToken('cospec-bot', {
      scopes: ['api', 'read_user'],
      expiresAt: '2099-01-01',
    });
    const result = await connect(typeof fresh === 'string' ? fresh : (fresh as { token: string }).token);
    const after = await ctx.accounts.list();
    expect(after).toHaveLength(before.length);
    expect(before.map((a) => a.id)).toContain(result.account.id);
    expect(codes(result.warnings)).not.toContain('NO_EXPIRY');
  });

  it.each([
    ['expired', 'TOKEN_EXPIRED'],
    ['revoked', 'TOKEN_REVOKED'],
    ['readUserOnly', 'MISSING_SCOPE'],
  ] as const)('refuses the %s token with %s and stores nothing', async (name, code) => {
    const before = ctx.changes.length;
    await expect(connect(gitlab.tokens[name])).rejects.toMatchObject({ code });
    expect(ctx.changes.length).toBe(before);
  });

  it('refuses an unknown token with UNAUTHORIZED', async () => {
    await expect(connect('glpat-this-token-does-not-exist')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('TLS_HOSTNAME_MISMATCH when the address does not match the certificate', async () => {
    const url = new URL(gitlab.url);
    const other = url.hostname === '127.0.0.1' ? 'localhost' : '127.0.0.1';
    await expect(
      ctx.accounts.connectWithToken({
        instanceUrl: `https://${other}:${url.port}`,
        token: gitlab.user('cospec-bot').token,
        allowHttp: false,
        network: network(),
      }),
    ).rejects.toMatchObject({ code: 'TLS_HOSTNAME_MISMATCH' });
  });

  it('sends every call through an explicit proxy', async () => {
    const proxy = await startConnectProxy();
    try {
      // Keep-alive may carry several calls through one tunnel, so count connections, not calls:
      // every connection the stand-in accepted meanwhile must be one of the proxy's tunnels.
      const connectionsBefore = gitlab.connections;
      const requestsBefore = gitlab.requests.length;
      const result = await connect(gitlab.user('maya').token, { network: { ...network(), proxyUrl: proxy.url } });
      expect(result.account.username).toBe('maya');
      expect(gitlab.requests.slice(requestsBefore).map((r) => r.path)).toEqual(
        expect.arrayContaining(['/api/v4/version', '/api/v4/user', '/api/v4/personal_access_tokens/self']),
      );
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
      expect(gitlab.connections - connectionsBefore).toBe(proxy.tunnels.length);
      expect(new Set(proxy.tunnels)).toEqual(new Set([new URL(gitlab.url).host]));
      expect(ctx.services.internal.accounts.networkFor(result.account.id).proxyUrl).toBe(proxy.url);
      // a revalidation uses the same proxy
      const requestsSeen = gitlab.requests.length;
      await ctx.accounts.revalidate(result.account.id);
      expect(gitlab.requests.length).toBeGreaterThan(requestsSeen);
      expect(gitlab.connections - connectionsBefore).toBe(proxy.tunnels.length);
    } finally {
      await proxy.close();
    }
    // with the proxy gone, the account's health says so instead of throwing
    const maya = (await ctx.accounts.list()).find((a) => a.username === 'maya')!;
    const checked = await ctx.accounts.revalidate(maya.id);
    expect(checked.health).toMatchObject({ status: 'error', code: 'PROXY_ERROR' });
    await ctx.accounts.disconnect(maya.id);
  });

  it('retries 503s and honours Retry-After on 429', async () => {
    gitlab.faults.add({ match: { path: '/api/v4/user' }, status: 503, times: 2 });
    gitlab.faults.add({ match: { path: '/api/v4/version' }, status: 429, retryAfterSeconds: 1, times: 1 });
    const started = Date.now();
    const result = await connect(gitlab.user('rita').token);
    expect(result.account.username).toBe('rita');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    gitlab.faults.clear();
    await ctx.accounts.disconnect(result.account.id);
  });

  it('a repository refresh throttled as GitLab throttles (429 text/plain, Retry-After) waits, says so, then succeeds', async () => {
    const result = await connect(gitlab.user('maya').token);
    const throttledBefore = gitlab.faults.hits.filter((h) => h.fault.status === 429).length;
    const seen: Array<{ refreshing: boolean; rateLimitedUntil?: string }> = [];
    const off = ctx.events.on('repositories.didChange', (list) => seen.push(list));
    gitlab.faults.add({
      match: { path: '/api/v4/projects', method: 'GET' },
      status: 429,
      retryAfterSeconds: 2,
      times: 1,
    });
    try {
      const list = await ctx.services.handlers.repositories.refresh(result.account.id);
      expect(list.error).toBeUndefined();
      expect(list.projects.map((p) => p.pathWithNamespace)).toContain('acme/web-app');
      expect(list.rateLimitedUntil).toBeUndefined();
      // While it waited, the screen was told until when (and the request really was throttled first).
      const waiting = seen.find((l) => l.rateLimitedUntil);
      expect(waiting).toMatchObject({ refreshing: true });
      expect(Date.parse(waiting!.rateLimitedUntil!)).toBeGreaterThan(Date.now() - 10_000);
      expect(gitlab.faults.hits.filter((h) => h.fault.status === 429)).toHaveLength(throttledBefore + 1);
    } finally {
      off();
      gitlab.faults.clear();
      await ctx.accounts.disconnect(result.account.id);
    }
  });

  it('revalidate reports a token revoked after connecting, without removing the account', async () => {
    const token = await gitlab.createPersonalAccessToken('gus', {
      scopes: ['api', 'read_user'],
      expiresAt: '2099-01-01',
    });
    const plain = typeof token === 'string' ? token : (token as { token: string }).token;
    const { account } = await connect(plain);
    await gitlab.revokeToken(plain);
    const checked = await ctx.accounts.revalidate(account.id);
    expect(checked.health).toMatchObject({ status: 'error', code: 'TOKEN_REVOKED' });
    await ctx.accounts.disconnect(account.id);
  });

  it('disconnect deletes the token from the Secret Service and the metadata', async () => {
    const alice = (await ctx.accounts.list()).find((a) => a.username === 'alice')!;
    expect(keyringHas(`account:${alice.id}:token`)).toBe(true);
    await ctx.accounts.disconnect(alice.id);
    expect(keyringHas(`account:${alice.id}:token`)).toBe(false);
    expect((await ctx.accounts.list()).map((a) => a.id)).not.toContain(alice.id);
    expect(ctx.changes.at(-1)?.map((a) => a.id)).not.toContain(alice.id);
  });

  it('accounts survive a restart: a new services instance on the same data dir lists them and has their tokens', async () => {
    const before = await ctx.accounts.list();
    const again = await startServices({ dataDir: ctx.dataDir });
    try {
      const after = await again.accounts.list();
      expect(after.map((a) => a.id)).toEqual(before.map((a) => a.id));
      const bot = after.find((a) => a.username === 'cospec-bot')!;
      const creds = await again.services.internal.accounts.credentialsFor(bot.id);
      expect(creds).toMatchObject({ username: 'cospec-bot', authMethod: 'pat' });
      expect((await again.accounts.revalidate(bot.id)).health.status).not.toBe('error');
    } finally {
      await again.services.dispose();
    }
  });
});

describe('GitLab version gate', () => {
  it('refuses a GitLab older than 15.5 with GITLAB_TOO_OLD', async () => {
    const old = await startGitLabStandIn({ version: '15.4.2' });
    try {
      await expect(
        ctx.accounts.connectWithToken({ instanceUrl: old.url, token: old.user('cospec-bot').token, allowHttp: true }),
      ).rejects.toMatchObject({ code: 'GITLAB_TOO_OLD', message: expect.stringContaining('15.4.2') });
    } finally {
      await old.close();
    }
  });
});
