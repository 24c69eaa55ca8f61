import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, requireKeyring, test } from './fixtures';

test.describe('settings', () => {
  test.use({ startAt: '#/settings' });

  test('changes run limits and the allowlist, stores an agent key without ever showing it again', async ({ app }) => {
    requireKeyring();
    const { page } = app;
    await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
    await expect(page.getByText('Managed by your organization')).toHaveCount(0);
    // The engine card says whether runs can start (this machine has Podman from the set-up script).
    await expect(
      page.getByText(/Ready|The container engine cannot be used|The sandbox image is missing/).first(),
    ).toBeVisible();

    const limit = page.getByLabel('Time limit per run');
    await limit.fill('25');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await expect(page.getByRole('button', { name: 'Save limits' })).toBeDisabled();
    expect((await app.services.handlers.settings.get()).sandbox.timeoutMinutes).toEqual({ value: 25, managed: false });

    await page.getByLabel('Add a destination').fill('not a host!');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByText(/Enter a host name like/)).toBeVisible();
    await page.getByLabel('Add a destination').fill('registry.npmjs.org');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(
      page.getByRole('list', { name: 'Allowed destinations' }).getByText('registry.npmjs.org'),
    ).toBeVisible();
    expect((await app.services.handlers.settings.get()).egress.user).toEqual(['registry.npmjs.org']);

    const key = 'sk-ant-ui-test-0123456789';
    await page.getByLabel('Anthropic API key').first().fill(key);
    await page.getByRole('button', { name: 'Save', exact: true }).first().click();
    await expect(page.getByText('Key stored').first()).toBeVisible();
    await expect(page.getByLabel('Anthropic API key').first()).toHaveValue('');
    expect(app.ipcTraffic.join('\n')).not.toContain(key);
    await app.snap('settings');

    // Agent pushes: the branch prefix and ci.skip reach the settings the gateway is given.
    await page.getByLabel('Branch prefix').fill('agents/');
    await page.getByRole('button', { name: 'Save prefix' }).click();
    await expect(page.getByRole('button', { name: 'Save prefix' })).toBeDisabled();
    // Controlled by the saved setting: it turns on once the update comes back.
    await page.getByLabel('Skip CI on agent pushes').click();
    await expect(page.getByLabel('Skip CI on agent pushes')).toBeChecked();
    await expect
      .poll(async () => (await app.services.handlers.settings.get()).pushes)
      .toEqual({ branchPrefix: { value: 'agents/', managed: false }, ciSkip: { value: true, managed: false } });
    await page.getByLabel('Branch prefix').fill('no-slash');
    await page.getByRole('button', { name: 'Save prefix' }).click();
    await expect(page.getByText(/a branch prefix like/)).toBeVisible();

    await page.getByRole('button', { name: `Remove registry.npmjs.org` }).click();
    await expect(page.getByRole('list', { name: 'Allowed destinations' }).getByText('registry.npmjs.org')).toHaveCount(
      0,
    );
  });

  test('refuses loopback, metadata and public-suffix wildcards with the reason, keeping the list', async ({ app }) => {
    const { page } = app;
    const field = page.getByLabel('Add a destination');
    const add = page.getByRole('button', { name: 'Add', exact: true });
    for (const [entry, reason] of [
      ['127.1', /127\.0\.0\.1 is a loopback address/],
      ['metadata.google.internal', /cloud metadata service/],
      ['*.com', /public suffix/],
    ] as const) {
      await field.fill(entry);
      await add.click();
      await expect(page.getByText(reason)).toBeVisible();
    }
    await page.getByText(/public suffix/).scrollIntoViewIfNeeded();
    await app.snap('settings-egress-refused');
    expect((await app.services.handlers.settings.get()).egress.user).toEqual([]);
  });

  test('shows the clone cache size, changes its bound and clears it (screenshot)', async ({ app }) => {
    const { page } = app;
    // A project in the cache, as a run leaves it: a bare repository with a pack, where the app keeps mirrors.
    const mirror = join(app.dataDir, 'git-mirrors', 'repos', 'acc-ui', '42.git');
    const work = join(app.dataDir, 'ui-cache-work');
    mkdirSync(work, { recursive: true });
    const git = (args: string[], cwd?: string) =>
      execFileSync('git', args, {
        cwd,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'UI',
          GIT_AUTHOR_EMAIL: 'ui@test.invalid',
          GIT_COMMITTER_NAME: 'UI',
          GIT_COMMITTER_EMAIL: 'ui@test.invalid',
        },
      });
    git(['init', '-q', '-b', 'main', work]);
    writeFileSync(join(work, 'README.md'), 'x'.repeat(200_000));
    git(['add', '.'], work);
    git(['commit', '-q', '-m', 'init'], work);
    git(['clone', '-q', '--bare', '--no-local', work, mirror]);
    const card = page.locator('.card', { has: page.getByRole('heading', { name: 'Clone cache' }) });
    await page.reload();
    await card.scrollIntoViewIfNeeded();
    await expect(card.getByText(/KB · 1 project$/)).toBeVisible();

    await card.getByLabel('Maximum size').fill('12');
    await card.getByRole('button', { name: 'Save size' }).click();
    await expect(card.getByRole('button', { name: 'Save size' })).toBeDisabled();
    expect((await app.services.handlers.settings.get()).cloneCache).toEqual({ maxGb: 12 });
    expect((await app.services.handlers.settings.cloneCache()).maxBytes).toBe(12 * 1024 ** 3);
    await card.scrollIntoViewIfNeeded();
    await app.snap('settings-clone-cache');

    await card.getByRole('button', { name: 'Clear' }).click();
    await expect(card.getByText(/· 0 projects$/)).toBeVisible();
    await expect(card.getByRole('button', { name: 'Clear' })).toBeDisabled();
    expect(readdirSync(join(mirror, 'objects', 'pack')).filter((f) => f.endsWith('.pack'))).toEqual([]);
  });
});

test.describe('settings managed by a policy', () => {
  test.use({
    startAt: '#/settings',
    policy: {
      version: 1,
      gitlab: {
        instances: [{ url: 'https://gitlab.corp.example', oauthApplicationId: 'abc123' }],
        allowOtherInstances: false,
        allowGitLabCom: false,
      },
      egress: { allow: ['pypi.org', '*.corp.example'], allowUserAdditions: false },
      sandbox: {
        timeoutMinutes: 30,
        memoryMb: 2048,
        allowedAgents: ['sample', 'claude-code'],
        allowCustomCommands: false,
      },
      pushes: { branchPrefix: 'bots/cospec/', ciSkip: true },
      updates: { enabled: false },
    },
  });

  test('shows locked settings as managed by the organization and does not let them change (screenshot)', async ({
    app,
  }) => {
    const { page } = app;
    await expect(page.getByText('Some settings are managed by your organization')).toBeVisible();
    await expect(page.getByLabel('Time limit per run')).toBeDisabled();
    await expect(page.getByLabel('Time limit per run')).toHaveValue('30');
    await expect(page.getByLabel('Memory')).toBeDisabled();
    await expect(page.getByLabel('CPUs')).toBeEnabled();
    await expect(page.getByLabel('Add a destination')).toHaveCount(0);
    await expect(page.getByText('Your organization does not allow adding destinations.')).toBeVisible();
    await expect(page.getByRole('list', { name: 'Allowed destinations' }).getByText('pypi.org')).toBeVisible();
    await expect(page.getByLabel('Branch prefix')).toBeDisabled();
    await expect(page.getByLabel('Branch prefix')).toHaveValue('bots/cospec/');
    await expect(page.getByRole('button', { name: 'Save prefix' })).toHaveCount(0);
    await expect(page.getByLabel('Skip CI on agent pushes')).toBeDisabled();
    await expect(page.getByLabel('Skip CI on agent pushes')).toBeChecked();
    await expect(page.getByLabel('Check for updates automatically')).toBeDisabled();
    await expect(page.getByLabel('Check for updates automatically')).not.toBeChecked();
    await expect(page.getByText('Not allowed by your organization')).toHaveCount(2); // codex, aider
    await expect(page.getByText('https://gitlab.corp.example')).toBeVisible();
    await expect(page.getByText('Only these instances can be connected.')).toBeVisible();
    expect(await page.getByText('Managed by your organization').count()).toBeGreaterThanOrEqual(4);
    await app.snap('settings-managed');
  });
});

test.describe('an invalid policy', () => {
  test.use({ startAt: '#/settings', policy: { version: 1, egress: { alow: ['x.example'] } } });

  test('is reported with what is wrong, and nothing of it applies', async ({ app }) => {
    await expect(app.page.getByText("Your organization's policy file is invalid")).toBeVisible();
    await expect(app.page.getByText(/blocked until an admin fixes it/)).toBeVisible();
    await app.snap('settings-policy-invalid');
  });
});
