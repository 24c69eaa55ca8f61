import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, fetch as undiciFetch } from 'undici';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { KEYRING_SERVICE } from '../../../src-main/services/secrets';
import { removeDir, startServices } from './harness';

type StandIn = Awaited<ReturnType<typeof startGitLabStandIn>>;
let gitlab: StandIn;
let ctx: Awaited<ReturnType<typeof startServices>>;
let clock = Date.now();

beforeAll(async () => {
  gitlab = await startGitLabStandIn({ tls: true });
  ctx = await startServices({ now: () => new Date(clock) });
  // What an admin would configure: the OAuth application registered on this instance.
  ctx.services.internal.settings.write('oauth', {
    applications: [{ instanceUrl: gitlab.url, clientId: gitlab.oauthApp.clientId }],
  });
});
afterAll(async () => {
  await ctx?.services.dispose();
  await gitlab?.close();
  if (ctx) removeDir(ctx.dataDir);
});

const network = () => ({ caCertificatesPem: gitlab.caPem!, useSystemCa: true });
const begin = (redirect: 'protocol' | 'loopback') =>
  ctx.accounts.beginOAuth({ instanceUrl: gitlab.url, redirect, network: network() });
const keyringHas = (key: string) =>
  spawnSync('secret-tool', ['lookup', 'service', KEYRING_SERVICE, 'username', key], { encoding: 'utf8' }).stdout !== '';
/** Calls the stand-in's API with a bearer token, trusting its CA, as an independent client. */
async function apiStatus(token: string): Promise<number> {
  const dispatcher = new Agent({ connect: { ca: gitlab.caPem } });
  try {
    const res = await undiciFetch(`${gitlab.url}/api/v4/user`, {
      headers: { authorization: `Bearer ${token}` },
      dispatcher,
    });
    await res.arrayBuffer();
    return res.status;
  } finally {
    await dispatcher.close();
  }
}
const withState = (location: string, state: string) => {
  const u = new URL(location);
  u.searchParams.set('state', state);
  return u.toString();
};

describe('OAuth with PKCE against the GitLab stand-in', () => {
  it('connects through the cospec:// deep link the browser would hand the OS', async () => {
    const flow = await begin('protocol');
    expect(flow.redirectUri).toBe('cospec://oauth/callback');
    expect(ctx.opened.at(-1)).toBe(flow.authorizeUrl);
    const waiting = ctx.accounts.waitForOAuth(flow.flowId);
    const location = await gitlab.approveAuthorization(flow.authorizeUrl, 'alice');
    expect(location.startsWith('cospec://oauth/callback?')).toBe(true);
    await ctx.services.handleDeepLink(location);
    const result = await waiting;
    expect(result.account).toMatchObject({ username: 'alice', authMethod: 'oauth', isBot: false });
    expect(result.account.scopes).toEqual(expect.arrayContaining(['api', 'read_user']));
    expect(result.account.expiresAt).not.toBeNull();
    expect(result.warnings.map((w) => w.code)).toContain('PERSONAL_ACCOUNT');
    expect(keyringHas(`account:${result.account.id}:token`)).toBe(true);
    expect(keyringHas(`account:${result.account.id}:refresh`)).toBe(true);

    // the same link again: the code was used, nothing changes
    await expect(ctx.services.handleDeepLink(location)).rejects.toMatchObject({ code: 'OAUTH_INVALID_GRANT' });
    expect(await ctx.accounts.list()).toHaveLength(1);
  });

  it('connects through the loopback redirect (RFC 8252) when the scheme is not registered', async () => {
    const flow = await begin('loopback');
    expect(flow.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const waiting = ctx.accounts.waitForOAuth(flow.flowId);
    const location = await gitlab.approveAuthorization(flow.authorizeUrl, 'maya');
    const page = await fetch(location);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('You can close this tab');
    const result = await waiting;
    expect(result.account).toMatchObject({ username: 'maya', authMethod: 'oauth' });
  });

  it('connects when the browser comes back before the window starts waiting', async () => {
    // The window asks to wait in a call of its own after the flow starts; a browser that redirects
    // at once (a sign-in it remembers) on a busy machine can finish the flow first.
    const flow = await begin('loopback');
    const location = await gitlab.approveAuthorization(flow.authorizeUrl, 'maya');
    expect((await fetch(location)).status).toBe(200);
    const result = await ctx.accounts.waitForOAuth(flow.flowId);
    expect(result.account).toMatchObject({ username: 'maya', authMethod: 'oauth' });
  });

  it('ignores a redirect with a wrong state and still completes with the right one', async () => {
    const flow = await begin('protocol');
    const location = await gitlab.approveAuthorization(flow.authorizeUrl, 'rita');
    await expect(ctx.services.handleDeepLink(withState(location, 'forged-state'))).rejects.toMatchObject({
      code: 'OAUTH_STATE_MISMATCH',
    });
    const waiting = ctx.accounts.waitForOAuth(flow.flowId);
    await ctx.services.handleDeepLink(location);
    expect((await waiting).account.username).toBe('rita');
  });

  it("refuses a code from one flow replayed with another flow's state (the stand-in rejects the grant)", async () => {
    const first = await begin('protocol');
    const location = await gitlab.approveAuthorization(first.authorizeUrl, 'gus');
    await ctx.services.handleDeepLink(location);
    const before = await ctx.accounts.list();
    const second = await begin('protocol');
    const waiting = ctx.accounts.waitForOAuth(second.flowId);
    const stolen = withState(location, new URL(second.authorizeUrl).searchParams.get('state')!);
    await expect(ctx.services.handleDeepLink(stolen)).rejects.toMatchObject({ code: 'OAUTH_INVALID_GRANT' });
    await expect(waiting).rejects.toMatchObject({ code: 'OAUTH_INVALID_GRANT' });
    expect(await ctx.accounts.list()).toEqual(before);
  });

  it('a user who denies access gets OAUTH_DENIED and nothing is stored', async () => {
    const before = await ctx.accounts.list();
    const flow = await begin('protocol');
    const waiting = ctx.accounts.waitForOAuth(flow.flowId);
    const location = await gitlab.approveAuthorization(flow.authorizeUrl, 'root', { deny: true });
    await expect(ctx.services.handleDeepLink(location)).rejects.toMatchObject({ code: 'OAUTH_DENIED' });
    await expect(waiting).rejects.toMatchObject({ code: 'OAUTH_DENIED' });
    expect(await ctx.accounts.list()).toEqual(before);
  });

  it('refreshes an access token that is about to expire, rotating the refresh token', async () => {
    const alice = (await ctx.accounts.list()).find((a) => a.username === 'alice')!;
    const internal = ctx.services.internal.accounts;
    const old = await internal.credentialsFor(alice.id);
    clock = Date.parse(alice.expiresAt!) - 30_000; // within the 60 s margin
    const fresh = await internal.credentialsFor(alice.id);
    clock = Date.now();
    expect(fresh.token).not.toBe(old.token);
    expect(await apiStatus(fresh.token)).toBe(200);
    const updated = (await ctx.accounts.list()).find((a) => a.id === alice.id)!;
    expect(Date.parse(updated.expiresAt!)).toBeGreaterThan(Date.parse(alice.expiresAt!));
  });

  it('refreshes once after a 401 (token expired early at GitLab) and the account stays healthy', async () => {
    const maya = (await ctx.accounts.list()).find((a) => a.username === 'maya')!;
    const internal = ctx.services.internal.accounts;
    const { token } = await internal.credentialsFor(maya.id);
    gitlab.faults.add({ match: { path: '/api/v4/version' }, status: 401, times: 1 });
    const checked = await ctx.accounts.revalidate(maya.id);
    gitlab.faults.clear();
    expect(checked.health.status).not.toBe('error');
    const after = await internal.credentialsFor(maya.id);
    expect(after.token).not.toBe(token);
    expect(await apiStatus(after.token)).toBe(200);
  });

  it('a refresh GitLab refuses (access revoked on GitLab) marks the account "sign in again"; signing in again restores it', async () => {
    const maya = (await ctx.accounts.list()).find((a) => a.username === 'maya')!;
    const internal = ctx.services.internal.accounts;
    // What the user does on GitLab: Preferences → Applications → Revoke. Access and refresh tokens die.
    expect(gitlab.revokeAuthorizedApplication('maya')).toBeGreaterThan(0);
    const checked = await ctx.accounts.revalidate(maya.id);
    expect(checked.health).toMatchObject({ status: 'error', code: 'SIGN_IN_AGAIN', signInAgain: true });
    expect(checked.health.message).toMatch(/maya on .+ no longer works: GitLab refused to renew it.*Sign in again/);
    await expect(internal.credentialsFor(maya.id, { forceRefresh: true })).rejects.toMatchObject({
      code: 'SIGN_IN_AGAIN',
      detail: expect.stringContaining('invalid_grant: The provided authorization grant is invalid'),
    });
    // The refresh really went to GitLab and was refused there (400 with Doorkeeper's challenge).
    expect(gitlab.requests.filter((r) => r.path === '/oauth/token').at(-1)?.status).toBe(400);

    const flow = await begin('protocol');
    const waiting = ctx.accounts.waitForOAuth(flow.flowId);
    await ctx.services.handleDeepLink(await gitlab.approveAuthorization(flow.authorizeUrl, 'maya'));
    const { account } = await waiting;
    expect(account.id).toBe(maya.id);
    expect(account.health.status).not.toBe('error');
    expect(account.health.signInAgain).toBeUndefined();
    expect(await apiStatus((await internal.credentialsFor(maya.id)).token)).toBe(200);
  });

  it('a token endpoint throttled like GitLab (429 text/plain) is a rate limit, not a dead sign-in', async () => {
    const rita = (await ctx.accounts.list()).find((a) => a.username === 'rita')!;
    gitlab.faults.add({ match: { path: '/oauth/token' }, status: 429, retryAfterSeconds: 30, times: 1 });
    await expect(ctx.services.internal.accounts.credentialsFor(rita.id, { forceRefresh: true })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringContaining('30 s'),
    });
    gitlab.faults.clear();
    expect((await ctx.accounts.list()).find((a) => a.id === rita.id)!.health.signInAgain).toBeUndefined();
    expect(
      await apiStatus((await ctx.services.internal.accounts.credentialsFor(rita.id, { forceRefresh: true })).token),
    ).toBe(200);
  });

  it('holds an OAuth account and a PAT account of the same instance at once', async () => {
    const { account } = await ctx.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: gitlab.user('cospec-bot').token,
      allowHttp: false,
      network: network(),
    });
    const list = await ctx.accounts.list();
    expect(list.map((a) => `${a.username}/${a.authMethod}`)).toEqual(
      expect.arrayContaining(['alice/oauth', 'maya/oauth', 'cospec-bot/pat']),
    );
    await ctx.accounts.disconnect(account.id);
  });

  it('disconnect revokes access and refresh tokens at GitLab and deletes them from the Secret Service', async () => {
    const alice = (await ctx.accounts.list()).find((a) => a.username === 'alice')!;
    const { token } = await ctx.services.internal.accounts.credentialsFor(alice.id);
    expect(await apiStatus(token)).toBe(200);
    await ctx.accounts.disconnect(alice.id);
    expect(await apiStatus(token)).toBe(401);
    expect(keyringHas(`account:${alice.id}:token`)).toBe(false);
    expect(keyringHas(`account:${alice.id}:refresh`)).toBe(false);
    expect((await ctx.accounts.list()).map((a) => a.id)).not.toContain(alice.id);
  });

  it('says what to configure for an instance without an OAuth application', async () => {
    await expect(
      ctx.accounts.beginOAuth({ instanceUrl: 'https://gitlab.example.org', redirect: 'protocol' }),
    ).rejects.toMatchObject({
      code: 'OAUTH_NOT_CONFIGURED',
      message: expect.stringContaining('Application ID'),
    });
  });
});
