import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretKeys } from '../../../src-main/services/secrets';
import { createKeyringSecretStore } from '../../../src-main/services/secrets/keyring-store';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { startRecordedApp, type RecordedApp } from '../../unit/shell/recorded-electron/harness';

/**
 * OAuth with PKCE end to end through the shell's deep-link path: the built main process (under the
 * recording Electron stand-in, as the binary is missing here) receives cospec://oauth/callback the
 * way each OS delivers it — Windows/Linux as argv of a second launch (`second-instance`), macOS as
 * `open-url` — and the renderer's waitForOAuth, called over the sender-checked IPC bridge, resolves.
 */
type StandIn = Awaited<ReturnType<typeof startGitLabStandIn>>;
type Wire<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };
type Flow = { flowId: string; authorizeUrl: string; redirectUri: string };
type Connected = { account: { id: string; username: string; authMethod: string } };

let gitlab: StandIn;
let app: RecordedApp;
const invoke = <T>(channel: string, ...args: unknown[]) => app.ask<Wire<T>>('invoke', { channel, args });
const value = <T>(wire: Wire<T>): T => {
  if (!wire.ok) throw new Error(`${wire.error.code}: ${wire.error.message}`);
  return wire.value;
};

beforeAll(async () => {
  gitlab = await startGitLabStandIn({ tls: true });
  const policyPath = join(gitlab.dataDir, 'policy.json');
  // The admin's managed entry: OAuth application id and the instance's CA.
  await writeFile(
    policyPath,
    JSON.stringify({
      version: 1,
      gitlab: {
        instances: [{ url: gitlab.url, oauthApplicationId: gitlab.oauthApp.clientId, caCertificatesPem: gitlab.caPem }],
      },
    }),
  );
  app = await startRecordedApp({ COSPEC_POLICY_PATH: policyPath, COSPEC_DEVELOPMENT: '1' });
  await app.ask('ready');
  await app.until((calls) => calls.some((c) => c.api === 'window.loadURL'));
}, 180_000);

afterAll(async () => {
  await app?.stop();
  await gitlab?.close();
});

/** Starts a flow over IPC and approves it in the stand-in's consent page; returns the cospec:// redirect. */
async function approvedFlow(username: string) {
  const flow = value(
    await invoke<Flow>('cospec:accounts:beginOAuth', { instanceUrl: gitlab.url, redirect: 'protocol' }),
  );
  expect(flow.redirectUri).toBe('cospec://oauth/callback');
  const opened = (await app.calls()).filter((c) => c.api === 'shell.openExternal').map((c) => c.detail);
  expect(opened).toContain(flow.authorizeUrl); // the system browser, never an embedded view
  const waiting = invoke<Connected>('cospec:accounts:waitForOAuth', flow.flowId);
  const redirect = await gitlab.approveAuthorization(flow.authorizeUrl, username);
  expect(redirect.startsWith('cospec://oauth/callback?')).toBe(true);
  return { flow, waiting, redirect };
}

describe('OAuth through the cospec:// deep link', () => {
  it(
    'connects when the link arrives as the argv of a second launch (Windows, Linux)',
    { timeout: 60_000 },
    async () => {
      const { waiting, redirect } = await approvedFlow('alice');
      await app.ask('appEvent', {
        name: 'second-instance',
        args: [['/opt/coSPEC/cospec-desktop', '--flag', redirect], '/home/alice'],
      });
      const connected = value(await waiting);
      expect(connected.account).toMatchObject({ username: 'alice', authMethod: 'oauth' });
      const listed = value(await invoke<Array<{ username: string }>>('cospec:accounts:list'));
      expect(listed.map((a) => a.username)).toContain('alice');
    },
  );

  it('connects when the link arrives through open-url (macOS)', { timeout: 60_000 }, async () => {
    const { waiting, redirect } = await approvedFlow('maya');
    expect(await app.ask('appEvent', { name: 'open-url', args: [redirect] })).toBe(true);
    expect(value(await waiting).account.username).toBe('maya');
  });

  it('refuses a replayed link and changes nothing', { timeout: 60_000 }, async () => {
    const { waiting, redirect } = await approvedFlow('rita');
    await app.ask('appEvent', { name: 'open-url', args: [redirect] });
    value(await waiting);
    const before = value(await invoke<unknown[]>('cospec:accounts:list')).length;
    const log = join(app.dataDir, 'logs/main.log');
    const refusals = async () =>
      ((await readFile(log, 'utf8').catch(() => '')).match(/cospec:\/\/ link was not accepted/g) ?? []).length;
    const earlier = await refusals();
    await app.ask('appEvent', { name: 'open-url', args: [redirect] });
    while ((await refusals()) === earlier) await new Promise((r) => setTimeout(r, 25)); // bounded by the test timeout
    expect(value(await invoke<unknown[]>('cospec:accounts:list')).length).toBe(before);
  });

  it('never writes a token or an authorization code to the log', async () => {
    const log = await readFile(join(app.dataDir, 'logs/main.log'), 'utf8');
    expect(log).not.toMatch(/[?&]code=[A-Za-z0-9_-]{8,}/);
    expect(log).not.toMatch(/"access_token"|"refresh_token"|Bearer [A-Za-z0-9]/);
    // The tokens are in the OS keychain the app shares with the CLI, not in a file of the data dir.
    expect(existsSync(join(app.dataDir, 'secrets.json'))).toBe(false);
    const keychain = createKeyringSecretStore();
    const accounts = value(await invoke<Array<{ id: string }>>('cospec:accounts:list'));
    expect(accounts.length).toBeGreaterThan(0);
    for (const a of accounts) expect(await keychain.get(secretKeys.token(a.id))).toBeTruthy();
  });
});
