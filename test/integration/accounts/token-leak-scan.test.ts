import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { createDispatcher } from '../../../src-main/platform/ipc-dispatch';
import { secretKeys } from '../../../src-main/services/secrets';
import { removeDir, startServices } from './harness';

type StandIn = Awaited<ReturnType<typeof startGitLabStandIn>>;
let gitlab: StandIn;
let ctx: Awaited<ReturnType<typeof startServices>>;

beforeAll(async () => {
  gitlab = await startGitLabStandIn({ tls: true });
  ctx = await startServices();
  ctx.services.internal.settings.write('oauth', {
    applications: [{ instanceUrl: gitlab.url, clientId: gitlab.oauthApp.clientId }],
  });
});
afterAll(async () => {
  await ctx?.services.dispose();
  await gitlab?.close();
  if (ctx) removeDir(ctx.dataDir);
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('tokens never leave the secret store', () => {
  it('a full connect/list/revalidate/disconnect over the IPC dispatcher leaks no token to results, events, logs or files', async () => {
    const dispatch = createDispatcher(ctx.services.handlers, ctx.logger);
    const wire: string[] = [];
    const call = async (method: string, ...args: unknown[]) => {
      const result = await dispatch('accounts', method, args);
      wire.push(JSON.stringify(result));
      return result;
    };
    const network = { caCertificatesPem: gitlab.caPem! };
    const pat = gitlab.user('cospec-bot').token;
    const secrets: string[] = [pat, gitlab.tokens.revoked];

    // PAT: one refused attempt (the token must not echo back in the error), then a real connect
    const refused = await call('connectWithToken', { instanceUrl: gitlab.url, token: gitlab.tokens.revoked, network });
    expect(refused).toMatchObject({ ok: false, error: { code: 'TOKEN_REVOKED' } });
    const connected = await call('connectWithToken', { instanceUrl: gitlab.url, token: pat, network });
    expect(connected).toMatchObject({ ok: true });
    const patId = (connected as { value: { account: { id: string } } }).value.account.id;

    // OAuth through the same dispatcher; the deep link carries the code, the exchange yields tokens
    const begun = (await call('beginOAuth', { instanceUrl: gitlab.url, redirect: 'protocol', network })) as {
      value: { flowId: string; authorizeUrl: string };
    };
    const waiting = call('waitForOAuth', begun.value.flowId);
    await ctx.services.handleDeepLink(await gitlab.approveAuthorization(begun.value.authorizeUrl, 'alice'));
    const oauthResult = (await waiting) as { ok: boolean; value: { account: { id: string } } };
    expect(oauthResult.ok).toBe(true);
    const oauthId = oauthResult.value.account.id;
    const store = ctx.services.internal.secrets;
    secrets.push((await store.get(secretKeys.token(oauthId)))!, (await store.get(secretKeys.refresh(oauthId)))!);

    await call('list');
    await call('revalidate', patId);
    await call('revalidate', oauthId);
    await call('updateNetwork', patId, { caCertificatesPem: gitlab.caPem, useSystemCa: true });

    // scan while the accounts exist (config.json holds their metadata) …
    const scan = () => {
      const files = filesUnder(ctx.dataDir).map((f) => ({ f, text: readFileSync(f, 'latin1') }));
      expect(files.map((x) => x.f)).toContain(join(ctx.dataDir, 'config.json'));
      const haystacks = [
        ['IPC results', wire.join('\n')],
        ['events', JSON.stringify(ctx.changes)],
        ['log lines', ctx.logLines.join('\n')],
        ...files.map((x) => [`file ${x.f}`, x.text]),
      ] as const;
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThan(8);
        for (const [where, text] of haystacks) expect(text.includes(secret), `token found in ${where}`).toBe(false);
      }
    };
    scan();
    await call('disconnect', patId);
    await call('disconnect', oauthId);
    expect(await call('list')).toEqual({ ok: true, value: [] });
    scan();
    expect(ctx.logLines.length).toBeGreaterThan(0);
    // No git operations exist in this service yet, so there is no .git/config to scan here; the
    // git service must keep tokens out of remotes (credential callback only) and test that itself.
  });
});
