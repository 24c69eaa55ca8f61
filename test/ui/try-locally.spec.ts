import { expect, requireKeyring, test } from './fixtures';

test.describe('try it locally', () => {
  test.use({ localGitLab: true });

  test('a new user starts the bundled GitLab, is connected as its bot, sees its projects, and stops it', async ({
    app,
  }) => {
    requireKeyring();
    const { page } = app;
    await page.getByRole('radio', { name: /Try it locally/ }).click();
    await app.snap('integrations-try-locally');
    await page.getByRole('button', { name: 'Start local GitLab' }).click();
    await expect(page.getByText('Connected as @cospec-bot')).toBeVisible({ timeout: 60_000 });
    await expect(page.getByText('The local GitLab is running')).toHaveCount(0); // the success notice replaces the form

    await page.getByRole('button', { name: 'Browse repositories' }).click();
    await expect(page.getByTestId('repositories-count')).toContainText(/\d+ repositories/, { timeout: 30_000 });
    await page.getByPlaceholder('Search by name or path').fill('web-app');
    await expect(page.getByText('acme/web-app').first()).toBeVisible();

    await app.goto('#/integrations/gitlab');
    await page.getByRole('radio', { name: /Try it locally/ }).click();
    await expect(page.getByText('The local GitLab is running')).toBeVisible();
    await page.getByRole('button', { name: 'Stop and disconnect it' }).click();
    await expect(page.getByRole('button', { name: 'Start local GitLab' })).toBeVisible();
    expect(await app.services.handlers.accounts.list()).toEqual([]);
  });
});

test('"Try it locally" is not offered where the build does not ship the local GitLab', async ({ app }) => {
  await expect(app.page.getByRole('radio', { name: /gitlab\.com/ })).toBeVisible();
  await expect(app.page.getByRole('radio', { name: /Try it locally/ })).toHaveCount(0);
});
