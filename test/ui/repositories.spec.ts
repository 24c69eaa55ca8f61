import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Project } from '../../src-shared/model/project';
import type { Page } from '@playwright/test';
import { expect, requireKeyring, test, type UiApp } from './fixtures';

requireKeyring();

const search = (page: Page) => page.getByRole('searchbox', { name: 'Search repositories' });

/** Connects cospec-bot of the GitLab stand-in through the real accounts service; returns its id. */
async function connectBot(app: UiApp): Promise<string> {
  const gitlab = app.gitlab!;
  const { account } = await app.services.handlers.accounts.connectWithToken({
    instanceUrl: gitlab.url,
    token: gitlab.user('cospec-bot').token,
    allowHttp: true,
  });
  return account.id;
}

test.describe('Repositories', () => {
  test.use({ withGitLab: true });

  test('lists the Developer+ projects from GitLab, warns on an unprotected default branch, searches and opens the run form', async ({
    app,
  }) => {
    const { page } = app;
    await connectBot(app);
    await app.goto('#/repositories');

    await expect(page.getByRole('heading', { level: 1, name: 'Repositories' })).toBeVisible();
    const list = page.getByRole('list', { name: 'Repositories' });
    // cospec-bot is Developer on the 33 acme/* projects, on the seed's real-instance shapes (a subgroup
    // project, a long path, acme/empty-repo, an invitation to maya/scratchpad); Reporter only on tools/cli.
    await expect(page.getByTestId('repositories-count')).toContainText('37 repositories');
    await search(page).fill('tools/');
    await expect(page.getByText('No match')).toBeVisible();

    // Protection: the stand-in protects main everywhere except acme/unprotected-lib.
    await search(page).fill('web-app');
    const webApp = list.locator('[data-path="acme/web-app"]');
    await expect(list.getByTestId('project-row')).toHaveCount(1);
    await expect(webApp.getByText('Developer')).toBeVisible();
    await expect(webApp.getByText('Protected')).toBeVisible();
    await search(page).fill('unprotected');
    const lib = list.locator('[data-path="acme/unprotected-lib"]');
    await expect(lib).toBeVisible();
    await expect(list.getByTestId('project-row')).toHaveCount(1);
    await expect(lib.getByTestId('protect-link')).toContainText('Unprotected');
    await app.snap('repositories-search-unprotected');

    // An archived project is listed, marked read-only, and cannot be picked for a run.
    await search(page).fill('service-30');
    const archived = list.locator('[data-path="acme/service-30"]');
    await expect(archived.getByText('Archived · read-only')).toBeVisible();
    await expect(archived.getByRole('button', { name: 'Start run' })).toBeDisabled();
    await expect(archived.getByRole('button', { name: 'Start run' })).toHaveAttribute('title', /Archived on GitLab/);
    await app.snap('repositories-archived');
    await search(page).fill('unprotected');

    // The warning links to GitLab's protected-branches settings, opened in the system browser.
    const since = app.opened.length;
    await lib.getByTestId('protect-link').click();
    expect(await app.nextOpened(since)).toMatch(/\/acme\/unprotected-lib\/-\/settings\/repository/);

    // What real instances hold: a path five namespaces deep, a user's namespace, an empty repository.
    await search(page).fill('kubernetes');
    const long = list.getByTestId('project-row');
    await expect(long).toHaveCount(1);
    await expect(long.getByText(/^acme\/platform\/infra\/regions\//)).toBeVisible();
    await expect(long.getByRole('button', { name: 'Start run' })).toBeVisible();
    await app.snap('repositories-long-path');
    await search(page).fill('scratchpad');
    await expect(list.locator('[data-path="maya/scratchpad"]')).toBeVisible();
    await search(page).fill('empty-repo');
    const empty = list.locator('[data-path="acme/empty-repo"]');
    await expect(empty.getByText('Empty repository')).toBeVisible();
    await expect(empty.getByRole('button', { name: 'Start run' })).toBeDisabled();
    await app.snap('repositories-empty-repo');

    await search(page).fill('');
    await expect(list.getByTestId('project-row').first()).toBeVisible();
    await expect(
      page.getByText(
        /repositories have an unprotected default branch|One repository has an unprotected default branch/,
      ),
    ).toBeVisible();
    await app.snap('repositories');

    // The run form: agents come from settings (policy applied), the default branch is the placeholder.
    await search(page).fill('web-app');
    await webApp.getByRole('button', { name: 'Start run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start a run' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel('Agent')).toContainText('Sample agent');
    await expect(dialog.getByLabel('Branch')).toHaveAttribute('placeholder', 'main');
    await expect(dialog.getByRole('button', { name: 'Start run' })).toBeDisabled();
    await dialog.getByLabel('Task').fill('Add a CONTRIBUTING.md that explains how to run the tests.');
    await expect(dialog.getByRole('button', { name: 'Start run' })).toBeEnabled();
    // Typing in the task keeps the focus there (the dialog does not steal it back on re-render).
    await expect(dialog.getByLabel('Task')).toBeFocused();
    await dialog.getByLabel('Agent').selectOption({ label: 'Custom command…' });
    await expect(dialog.getByLabel('Command')).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Start run' })).toBeDisabled();
    await dialog.getByLabel('Command').fill('sh ./scripts/agent.sh');
    await app.snap('repositories-run-form');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toBeHidden();
  });

  test('a list GitLab throttles (429, Retry-After) shows the wait counting down, then the repositories', async ({
    app,
  }) => {
    const { page } = app;
    await connectBot(app);
    // GitLab's Rack::Attack answer: text/plain "Retry later" with Retry-After.
    app.gitlab!.faults.add({
      match: { path: '/api/v4/projects', method: 'GET' },
      status: 429,
      retryAfterSeconds: 8,
      times: 1,
    });
    await app.goto('#/repositories');
    await expect(page.getByText(/Waiting for GitLab’s rate limit \(\d s\)…/)).toBeVisible();
    await expect(page.getByText('asked coSPEC to slow down')).toBeVisible();
    await app.snap('repositories-rate-limited');
    await expect(page.getByTestId('repositories-count')).toContainText('37 repositories', { timeout: 30_000 });
    await expect(page.getByText(/Waiting for GitLab’s rate limit/)).toBeHidden();
  });

  test('an account with 5,000 projects renders only the rows in view and scrolls to the last one', async ({ app }) => {
    const { page } = app;
    const accountId = await connectBot(app);
    // Seed the repositories cache in the format the real service reads (cacheDir/projects/<id>.json),
    // fresh so it is served as is: the stand-in has only a few dozen projects.
    const base = app.gitlab!.url;
    const projects: Project[] = Array.from({ length: 5000 }, (_, i) => {
      const path = `big/project-${String(i + 1).padStart(4, '0')}`;
      return {
        accountId,
        id: 100_000 + i,
        pathWithNamespace: path,
        name: `Project ${i + 1}`,
        description: null,
        defaultBranch: 'main',
        visibility: i % 3 === 0 ? 'internal' : 'private',
        webUrl: `${base}/${path}`,
        httpUrlToRepo: `${base}/${path}.git`,
        lastActivityAt: new Date(Date.now() - i * 60_000).toISOString(),
        accessLevel: i % 10 === 0 ? 40 : 30,
        defaultBranchProtected: i % 50 === 0 ? false : i % 7 === 0 ? null : true,
        protectionSettingsUrl: `${base}/${path}/-/settings/repository#js-protected-branches-settings`,
        archived: false,
      };
    });
    const dir = join(app.dataDir, 'cache', 'projects');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `${encodeURIComponent(accountId)}.json`),
      JSON.stringify({ fetchedAt: new Date().toISOString(), projects }),
    );

    await app.goto('#/repositories');
    const list = page.getByRole('list', { name: 'Repositories' });
    await expect(page.getByTestId('repositories-count')).toContainText('5,000 repositories');
    await expect(list.locator('[data-path="big/project-0001"]')).toBeVisible();
    const rendered = await list.getByTestId('project-row').count();
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(60);

    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect(list.locator('[data-path="big/project-5000"]')).toBeVisible();
    expect(await list.getByTestId('project-row').count()).toBeLessThan(60);

    await search(page).fill('project-424');
    await expect(page.getByTestId('repositories-count')).toContainText('10 repositories');
    await expect(list.getByTestId('project-row')).toHaveCount(10);
    await app.snap('repositories-5000');
  });
});
