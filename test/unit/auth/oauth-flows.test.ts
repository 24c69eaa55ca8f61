import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createOAuthFlows } from '../../../src-main/services/auth/flows';
import { parseOAuthDeepLink } from '../../../src-main/services/auth/deep-link';
import { createAccountNetwork } from '../../../src-main/services/gitlab/network';

const INSTANCE = 'https://gitlab.company.example';

function setup(options: { timeoutMs?: number; clientId?: string | undefined } = {}) {
  const opened: string[] = [];
  const flows = createOAuthFlows({
    resolver: { clientIdFor: () => ('clientId' in options ? options.clientId : 'app-123') },
    openExternal: async (url) => void opened.push(url),
    protocolRegistered: true,
    buildNetwork: (url, settings) => createAccountNetwork(url, settings),
    connect: async () => {
      throw new Error('no exchange expected in these tests');
    },
    logger: createLogger({ sinks: [memorySink()] }),
    timeoutMs: options.timeoutMs,
  });
  made.push(flows);
  return { flows, opened };
}
const made: Array<ReturnType<typeof createOAuthFlows>> = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((f) => f.dispose()));
});

describe('OAuth flow start', () => {
  it('opens the browser at /oauth/authorize with S256 PKCE, a fresh state, the client id and scopes', async () => {
    const { flows, opened } = setup();
    const a = await flows.handlers.beginOAuth({ instanceUrl: INSTANCE, redirect: 'auto' });
    const b = await flows.handlers.beginOAuth({ instanceUrl: INSTANCE, redirect: 'auto' });
    expect(opened).toEqual([a.authorizeUrl, b.authorizeUrl]);
    const url = new URL(a.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${INSTANCE}/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: 'app-123',
      redirect_uri: 'cospec://oauth/callback',
      response_type: 'code',
      scope: 'api read_user',
      code_challenge_method: 'S256',
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('state')).not.toBe(new URL(b.authorizeUrl).searchParams.get('state'));
    expect(url.searchParams.get('code_challenge')).not.toBe(new URL(b.authorizeUrl).searchParams.get('code_challenge'));
  });

  it('explains what to configure when no OAuth application id is known', async () => {
    const { flows, opened } = setup({ clientId: undefined });
    await expect(flows.handlers.beginOAuth({ redirect: 'auto' })).rejects.toMatchObject({
      code: 'OAUTH_NOT_CONFIGURED',
      message: expect.stringContaining('COSPEC_GITLAB_OAUTH_CLIENT_ID'),
    });
    expect(opened).toEqual([]);
  });
});

describe('OAuth deep links', () => {
  it('accepts only cospec://oauth/callback with known parameters', () => {
    expect(parseOAuthDeepLink('cospec://oauth/callback?code=c&state=s')).toEqual({ code: 'c', state: 's' });
    for (const bad of [
      'cospec://evil/callback?code=c&state=s',
      'cospec://oauth/other?code=c',
      'https://oauth/callback?code=c',
      'cospec://oauth/callback?code=c&state=s&next=http://x',
      'cospec://oauth/callback?state=s',
      'cospec://oauth/callback?code=a&code=b&state=s',
      'not a url',
    ]) {
      expect(() => parseOAuthDeepLink(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_DEEP_LINK' }));
    }
  });

  it('refuses a missing or mismatched state without consuming the pending flow', async () => {
    const { flows } = setup();
    const flow = await flows.handlers.beginOAuth({ instanceUrl: INSTANCE, redirect: 'protocol' });
    await expect(flows.handleDeepLink('cospec://oauth/callback?code=abc')).rejects.toMatchObject({
      code: 'OAUTH_STATE_MISMATCH',
    });
    await expect(flows.handleDeepLink('cospec://oauth/callback?code=abc&state=forged')).rejects.toMatchObject({
      code: 'OAUTH_STATE_MISMATCH',
    });
    await expect(flows.handleDeepLink('cospec://elsewhere?code=abc')).rejects.toMatchObject({
      code: 'INVALID_DEEP_LINK',
    });
    expect(flows.pendingCount()).toBe(1);
    const state = new URL(flow.authorizeUrl).searchParams.get('state')!;
    // the real answer still completes it (here: the user denied)
    await expect(
      flows.handleDeepLink(`cospec://oauth/callback?error=access_denied&state=${state}`),
    ).rejects.toMatchObject({ code: 'OAUTH_DENIED' });
    // A wait that comes after the answer hears how the flow ended; an id never issued is unknown.
    await expect(flows.handlers.waitForOAuth(flow.flowId)).rejects.toMatchObject({ code: 'OAUTH_DENIED' });
    await expect(flows.handlers.waitForOAuth('never-issued')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('rejects the waiting caller with OAUTH_DENIED and treats a replay of the same link as already used', async () => {
    const { flows } = setup();
    const flow = await flows.handlers.beginOAuth({ instanceUrl: INSTANCE, redirect: 'protocol' });
    const waiting = flows.handlers.waitForOAuth(flow.flowId);
    const state = new URL(flow.authorizeUrl).searchParams.get('state')!;
    const link = `cospec://oauth/callback?error=access_denied&error_description=The+resource+owner+denied&state=${state}`;
    await expect(flows.handleDeepLink(link)).rejects.toMatchObject({ code: 'OAUTH_DENIED' });
    await expect(waiting).rejects.toMatchObject({ code: 'OAUTH_DENIED' });
    await expect(flows.handleDeepLink(link)).rejects.toMatchObject({ code: 'OAUTH_INVALID_GRANT' });
    expect(flows.pendingCount()).toBe(0);
  });

  it('times out a flow nobody completes', async () => {
    const { flows } = setup({ timeoutMs: 50 });
    const flow = await flows.handlers.beginOAuth({ instanceUrl: INSTANCE, redirect: 'protocol' });
    await expect(flows.handlers.waitForOAuth(flow.flowId)).rejects.toMatchObject({ code: 'OAUTH_TIMEOUT' });
    expect(flows.pendingCount()).toBe(0);
  });
});

describe('OAuth loopback redirect', () => {
  it('listens on 127.0.0.1, answers a wrong state with a page but keeps waiting, and closes on cancel', async () => {
    const { flows } = setup();
    const flow = await flows.handlers.beginOAuth({ instanceUrl: INSTANCE, redirect: 'loopback' });
    expect(flow.redirectUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const wrong = await fetch(`${flow.redirectUri}?code=x&state=forged`);
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('close this tab');
    expect((await fetch(flow.redirectUri.replace('/callback', '/other'))).status).toBe(404);
    expect(flows.pendingCount()).toBe(1);
    const waiting = flows.handlers.waitForOAuth(flow.flowId);
    await flows.handlers.cancelOAuth(flow.flowId);
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(fetch(flow.redirectUri)).rejects.toThrow();
  });
});
