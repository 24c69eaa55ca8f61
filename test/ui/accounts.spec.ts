import { readdirSync } from 'node:fs';
import { expect, requireKeyring, test } from './fixtures';
import type { Page } from '@playwright/test';

requireKeyring();

async function fillSelfHosted(page: Page, url: string, token: string) {
  await page.getByRole('radio', { name: /Self-hosted instance/ }).click();
  await page.getByLabel('GitLab instance URL').fill(url);
  await page.getByLabel('Personal Access Token').fill(token);
}

test.describe('Integrations → GitLab: self-hosted with a Personal Access Token', () => {
  test.use({ withGitLab: { tls: true } });

  test('diagnoses an untrusted CA, connects once the CA is added, lists, re-validates and disconnects', async ({
    app,
  }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    const token = gitlab.user('cospec-bot').token;

    await fillSelfHosted(page, gitlab.url, token);
    await expect(page.getByText('Create a Personal Access Token')).toBeVisible();
    await app.snap('integrations-self-hosted-form');

    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(page.getByText('The server’s certificate isn’t trusted')).toBeVisible();
    await expect(page.getByText('TLS_UNKNOWN_CA')).toBeVisible();
    await app.snap('integrations-error-untrusted-ca');
    expect(await app.services.handlers.accounts.list()).toEqual([]);

    // The offered fix: paste the company CA for this account.
    await page.getByRole('button', { name: 'Add a CA certificate…' }).click();
    await page.getByLabel('Extra CA certificates').fill(gitlab.caPem!);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(page.getByText('Connected as @cospec-bot')).toBeVisible();
    await app.snap('integrations-connected');

    const list = page.getByRole('list', { name: 'Connected accounts' });
    await expect(list.getByRole('listitem')).toHaveCount(1);
    await expect(list.getByText('@cospec-bot')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: /Accounts/ })).toContainText(
      '1',
    );

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: /Accounts/ })
      .click();
    const row = page.getByRole('listitem', { name: `cospec-bot on ${new URL(gitlab.url).host}` });
    await expect(row).toBeVisible();
    await expect(row.getByText('Personal Access Token')).toBeVisible();
    await expect(row.getByText('api', { exact: true })).toBeVisible();
    await expect(row.getByText('read_user', { exact: true })).toBeVisible();
    await expect(row.getByText('custom CA')).toBeVisible();
    await row.getByRole('button', { name: 'Re-validate' }).click();
    await expect(row.getByText(/Healthy|Needs attention/)).toBeVisible();
    await app.snap('accounts-connected');

    await row.getByRole('button', { name: 'Disconnect' }).click();
    const dialog = page.getByRole('dialog', { name: 'Disconnect @cospec-bot?' });
    await expect(dialog).toBeVisible();
    await app.snap('accounts-disconnect-dialog');
    await dialog.getByRole('button', { name: 'Disconnect' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('heading', { name: 'No accounts connected' })).toBeVisible();
    expect(await app.services.handlers.accounts.list()).toEqual([]);

    // The token went to main once and never came back: not in any result, event or log line.
    expect(app.ipcTraffic.length).toBeGreaterThan(0);
    expect(app.ipcTraffic.filter((t) => t.includes(token))).toEqual([]);
    expect(app.logLines.filter((l) => l.includes(token))).toEqual([]);
    expect(await page.content()).not.toContain(token);
  });

  test('a wrong token and a missing scope get their own explanations and store nothing', async ({ app }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    await fillSelfHosted(page, gitlab.url, 'glpat-not-a-real-token-000000');
    await page.getByRole('button', { name: /Certificates and proxy/ }).click();
    await page.getByLabel('Extra CA certificates').fill(gitlab.caPem!);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(page.getByText('GitLab didn’t accept the token')).toBeVisible();
    await app.snap('integrations-error-unauthorized');

    const readOnly = await gitlab.createPersonalAccessToken('cospec-bot', {
      scopes: ['read_user'],
      expiresAt: '2099-01-01',
    });
    await page.getByLabel('Personal Access Token').fill(readOnly);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(page.getByText('The token is missing a scope')).toBeVisible();
    expect(await app.services.handlers.accounts.list()).toEqual([]);
  });

  test('OAuth with PKCE for a self-hosted instance: waits for the browser, connects through the deep link', async ({
    app,
  }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    // What an admin configures: coSPEC registered as an OAuth application on this instance.
    app.services.internal.settings.write('oauth', {
      applications: [{ instanceUrl: gitlab.url, clientId: gitlab.oauthApp.clientId }],
    });

    await page.getByRole('radio', { name: /Self-hosted instance/ }).click();
    await page.getByLabel('GitLab instance URL').fill(gitlab.url);
    await page.getByRole('button', { name: /Certificates and proxy/ }).click();
    await page.getByLabel('Extra CA certificates').fill(gitlab.caPem!);
    const before = app.opened.length;
    await page.getByRole('button', { name: 'Sign in with OAuth instead' }).click();

    const authorizeUrl = await app.nextOpened(before);
    expect(new URL(authorizeUrl).pathname).toMatch(/\/oauth\/authorize$/);
    expect(new URL(authorizeUrl).searchParams.get('code_challenge_method')).toBe('S256');
    await expect(page.getByTestId('oauth-waiting')).toBeVisible();
    await expect(page.getByText('Finish signing in in your browser')).toBeVisible();
    await app.snap('integrations-oauth-waiting');

    const location = await gitlab.approveAuthorization(authorizeUrl, 'alice');
    await app.services.handleDeepLink(location);
    await expect(page.getByText('Connected as @alice')).toBeVisible();
    await expect(page.getByText('This looks like a personal account')).toBeVisible();
    await app.snap('integrations-oauth-connected');

    await app.goto('#/accounts');
    await expect(page.getByRole('listitem', { name: /^alice on / }).getByText('OAuth', { exact: true })).toBeVisible();
  });

  test('cancelling a pending OAuth sign-in changes nothing', async ({ app }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    app.services.internal.settings.write('oauth', {
      applications: [{ instanceUrl: gitlab.url, clientId: gitlab.oauthApp.clientId }],
    });
    await page.getByRole('radio', { name: /Self-hosted instance/ }).click();
    await page.getByLabel('GitLab instance URL').fill(gitlab.url);
    await page.getByRole('button', { name: 'Sign in with OAuth instead' }).click();
    await expect(page.getByTestId('oauth-waiting')).toBeVisible();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByTestId('oauth-waiting')).toBeHidden();
    await expect(page.getByRole('button', { name: 'Connect Account' })).toBeVisible();
    expect(await app.services.handlers.accounts.list()).toEqual([]);
  });
});

test.describe('Integrations → GitLab: connection diagnostics', () => {
  test('refused connections and plain http are explained with what to do next', async ({ app }) => {
    const { page } = app;
    // A port that was just closed: nothing listens there.
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));

    await fillSelfHosted(page, `http://127.0.0.1:${port}`, 'glpat-xxxxxxxxxxxxxxxxxxxx');
    // http is refused unless explicitly allowed
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(page.getByText('This address uses plain http')).toBeVisible();
    await page.getByRole('button', { name: 'Allow http for this instance' }).click();
    await expect(page.getByLabel('Allow plain http for this instance')).toBeChecked();

    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await expect(page.getByText('The server refused the connection')).toBeVisible();
    await expect(page.getByText('CONNECTION_REFUSED')).toBeVisible();
    await app.snap('integrations-error-refused');
    expect(await app.services.handlers.accounts.list()).toEqual([]);
  });
});

test.describe('Integrations → GitLab: gitlab.com', () => {
  test('Connect Account opens gitlab.com’s authorization page (PKCE) in the browser and waits; Cancel changes nothing', async ({
    app,
  }) => {
    const { page } = app;
    app.services.internal.settings.write('oauth', { applications: [], gitlabComClientId: 'cospec-desktop-test' });
    const before = app.opened.length;
    await page.getByRole('button', { name: 'Connect Account' }).click();
    const url = new URL(await app.nextOpened(before));
    expect(url.origin + url.pathname).toBe('https://gitlab.com/oauth/authorize');
    expect(url.searchParams.get('client_id')).toBe('cospec-desktop-test');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBeTruthy();
    await expect(page.getByText('We opened gitlab.com’s authorization page.', { exact: false })).toBeVisible();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByRole('button', { name: 'Connect Account' })).toBeVisible();
    expect(await app.services.handlers.accounts.list()).toEqual([]);
  });

  test('without a registered OAuth application it says so and points to tokens', async ({ app }) => {
    test.skip(
      Boolean(process.env.COSPEC_GITLAB_OAUTH_CLIENT_ID),
      'COSPEC_GITLAB_OAUTH_CLIENT_ID is set in this environment',
    );
    await app.page.getByRole('button', { name: 'Connect Account' }).click();
    await expect(app.page.getByText('Signing in with OAuth isn’t set up')).toBeVisible();
    await expect(app.page.getByText('OAUTH_NOT_CONFIGURED')).toBeVisible();
    expect(app.opened).toEqual([]);
  });
});

test.describe('Integrations → GitLab: OAuth through the loopback redirect', () => {
  test.use({ withGitLab: true, protocolRegistered: false });

  test('where cospec:// is not registered, the browser comes back to a loopback port and the account appears', async ({
    app,
  }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    app.services.internal.settings.write('oauth', {
      applications: [{ instanceUrl: gitlab.url, clientId: gitlab.oauthApp.clientId }],
    });
    await page.getByRole('radio', { name: /Self-hosted instance/ }).click();
    await page.getByLabel('GitLab instance URL').fill(gitlab.url);
    const before = app.opened.length;
    await page.getByRole('button', { name: 'Sign in with OAuth instead' }).click();
    const authorizeUrl = await app.nextOpened(before);
    expect(new URL(authorizeUrl).searchParams.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const location = await gitlab.approveAuthorization(authorizeUrl, 'maya');
    // What the system browser does with the redirect.
    const landing = await fetch(location);
    expect(landing.status).toBe(200);
    await expect(page.getByText('Connected as @maya')).toBeVisible();
    await expect(page.getByRole('list', { name: 'Connected accounts' }).getByText('@maya')).toBeVisible();
  });
});

test.describe('Accounts: per-account network settings', () => {
  test.use({ withGitLab: true, startAt: '#/accounts' });

  test('a dead proxy turns the account’s health into an explained error; removing it restores it', async ({ app }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    // Connected through the service directly: the UI path is covered above; this test is about the Accounts screen.
    await app.services.handlers.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: gitlab.user('cospec-bot').token,
      allowHttp: true,
    });
    const row = page.getByRole('listitem', { name: `cospec-bot on ${new URL(gitlab.url).host}` });
    // plain http to the stand-in: working, with a warning
    await expect(row.getByText('Needs attention')).toBeVisible();

    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const deadProxy = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await new Promise<void>((r) => server.close(() => r()));

    await row.getByRole('button', { name: 'Network' }).click();
    const dialog = page.getByRole('dialog', { name: 'Network settings' });
    await dialog.getByLabel('Proxy', { exact: true }).fill(deadProxy);
    await app.snap('accounts-network-dialog');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(dialog).toBeHidden();
    await expect(row.getByText('Not working')).toBeVisible();
    await expect(row.getByText(`proxy ${deadProxy}`, { exact: true })).toBeVisible();
    await expect(row.getByText(`The proxy ${deadProxy} could not be`, { exact: false })).toBeVisible();
    await app.snap('accounts-health-error');

    await row.getByRole('button', { name: 'Network' }).click();
    await dialog.getByLabel('Proxy', { exact: true }).fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(row.getByText('Needs attention')).toBeVisible();
    await expect(row.getByText('system defaults')).toBeVisible();
    // The stand-in's avatar is served over http: initials instead, and no blocked request.
    expect(app.cspViolations).toEqual([]);
  });
});

test.describe('Accounts: a damaged settings file', () => {
  test.use({
    startAt: '#/accounts',
    // cut off mid-write
    dataDirFiles: { 'config.json': '{"accounts":[{"id":"a1","instanceUrl":"https://gitlab.exa' },
  });

  test('is reported with where the backup went, then the screen carries on', async ({ app }) => {
    const { page } = app;
    await expect(page.getByText('Your accounts file was damaged')).toBeVisible();
    await expect(page.getByText(/config\.json\.corrupt-/)).toBeVisible();
    await expect(page.getByText('SETTINGS_CORRUPT')).toBeVisible();
    await app.snap('accounts-settings-corrupt');
    expect(readdirSync(app.dataDir).some((f) => f.startsWith('config.json.corrupt-'))).toBe(true);
    await page.getByRole('button', { name: 'Reload' }).click();
    await expect(page.getByRole('heading', { name: 'No accounts connected' })).toBeVisible();
  });
});

test.describe('Accounts: an OAuth sign-in GitLab no longer accepts', () => {
  test.use({ withGitLab: true, protocolRegistered: false, startAt: '#/accounts' });

  test('a refused refresh shows "Sign in again"; signing in again in the browser brings the account back', async ({
    app,
  }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    app.services.internal.settings.write('oauth', {
      applications: [{ instanceUrl: gitlab.url, clientId: gitlab.oauthApp.clientId }],
    });
    // Connected through the real OAuth flow (loopback redirect), as the Integrations screen does.
    const flow = await app.services.handlers.accounts.beginOAuth({ instanceUrl: gitlab.url, redirect: 'loopback' });
    const connected = app.services.handlers.accounts.waitForOAuth(flow.flowId);
    await fetch(await gitlab.approveAuthorization(flow.authorizeUrl, 'alice'));
    const { account } = await connected;

    // On GitLab, alice revokes coSPEC (Preferences → Applications): access and refresh tokens die.
    expect(gitlab.revokeAuthorizedApplication('alice')).toBeGreaterThan(0);
    const row = page.getByRole('listitem', { name: `alice on ${account.host}` });
    await row.getByRole('button', { name: 'Re-validate' }).click();
    await expect(row.getByText('Sign in again', { exact: true }).first()).toBeVisible();
    await expect(row.getByText(/alice on .+ no longer works: GitLab refused to renew it/)).toBeVisible();
    await expect(row.getByText('SIGN_IN_AGAIN')).toBeVisible();
    await app.snap('accounts-sign-in-again');

    const before = app.opened.length;
    await row.getByRole('button', { name: 'Sign in again' }).click();
    const dialog = page.getByRole('dialog', { name: `Sign in to ${account.host} again` });
    await expect(dialog.getByTestId('oauth-waiting')).toBeVisible();
    await app.snap('accounts-sign-in-again-dialog');
    const authorizeUrl = await app.nextOpened(before);
    await fetch(await gitlab.approveAuthorization(authorizeUrl, 'alice'));
    await expect(dialog).toBeHidden();
    await expect(row.getByText(/Healthy|Needs attention/)).toBeVisible();
    await expect(row.getByRole('button', { name: 'Sign in again' })).toHaveCount(0);
    expect((await app.services.handlers.accounts.list()).map((a) => a.id)).toEqual([account.id]);
  });
});
