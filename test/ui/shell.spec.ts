import { contract } from '../../src-shared/ipc/contract';
import { expect, test } from './fixtures';

test.describe('window shell', () => {
  test('navigates between the four areas from the sidebar and keeps the route in the hash', async ({ app }) => {
    const { page } = app;
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(page.getByRole('heading', { level: 1, name: 'GitLab' })).toBeVisible();
    await expect(nav.getByRole('link', { name: 'GitLab' })).toHaveAttribute('aria-current', 'page');

    await nav.getByRole('link', { name: 'Accounts' }).click();
    await expect(page).toHaveURL(/#\/accounts$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeVisible();

    await nav.getByRole('link', { name: 'Repositories' }).click();
    await expect(page).toHaveURL(/#\/repositories$/);
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();

    await nav.getByRole('link', { name: 'Runs' }).click();
    await expect(page).toHaveURL(/#\/runs$/);
    await expect(nav.getByRole('link', { name: 'Runs' })).toHaveAttribute('aria-current', 'page');

    // back/forward and reload follow the hash
    await page.goBack();
    await expect(page).toHaveURL(/#\/repositories$/);
    await page.reload();
    await expect(nav.getByRole('link', { name: 'Repositories' })).toHaveAttribute('aria-current', 'page');
  });

  test('an unknown route falls back to Integrations → GitLab', async ({ app }) => {
    await app.goto('#/nowhere/at/all');
    await expect(app.page.getByRole('heading', { level: 1, name: 'GitLab' })).toBeVisible();
  });

  test('a new user sees what to do next on every screen (screenshots, light and dark)', async ({ app }) => {
    const { page } = app;
    await expect(page.getByText('Connect repositories and manage GitLab integrations')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Connect Account' })).toBeVisible();
    await expect(page.getByText(/No GitLab accounts yet/)).toBeVisible();
    await app.snap('integrations-gitlab');

    await app.goto('#/accounts');
    await expect(page.getByRole('heading', { name: 'No accounts connected' })).toBeVisible();
    await app.snap('accounts-empty');
    await page.getByRole('button', { name: 'Connect GitLab' }).click();
    await expect(page).toHaveURL(/#\/integrations\/gitlab$/);

    await app.goto('#/repositories');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await app.snap('repositories-empty');

    await app.goto('#/runs');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await app.snap('runs-empty');
  });

  test('the page runs under the strict CSP with no violations and the app reports the harness host', async ({
    app,
  }) => {
    const { page } = app;
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.reload();
    await expect(page.getByText(/test harness/)).toBeVisible();
    await app.goto('#/accounts');
    await expect(page.getByRole('heading', { level: 1, name: 'Accounts' })).toBeVisible();
    expect(violations).toEqual([]);
    // window.cospec exposes exactly the contract's services and nothing else
    const keys = await page.evaluate(() => Object.keys((window as unknown as { cospec: object }).cospec).sort());
    expect(keys).toEqual([...Object.keys(contract), 'on'].sort());
  });
});

test.describe('routes with parameters', () => {
  test('#/runs/:id opens under Runs, #/review/:runId/:mrIid under Reviews', async ({ app }) => {
    const nav = app.page.getByRole('navigation', { name: 'Main' });
    await app.goto('#/runs/no-such-run');
    await expect(nav.getByRole('link', { name: 'Runs' })).toHaveAttribute('aria-current', 'page');
    await expect(app.page).toHaveTitle(/Runs/);
    await app.goto('#/review/no-such-run/7');
    await expect(nav.getByRole('link', { name: 'Reviews' })).toHaveAttribute('aria-current', 'page');
    await expect(app.page).toHaveTitle(/Review/);
    // a review link without a valid merge request number is not a route
    await app.goto('#/review/no-such-run/zero');
    await expect(app.page.getByRole('heading', { level: 1, name: 'GitLab' })).toBeVisible();
  });
});
