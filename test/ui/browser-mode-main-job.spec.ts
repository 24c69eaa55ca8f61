import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sandboxSkipReason } from '../integration/sandbox/harness';
import { RENDERER_OUT, ROOT } from './harness/build';
import { expect, requireKeyring, snapPage, test } from './fixtures';

/*
 * The whole main job in browser mode, as a user without the Electron binary does it: `cospec
 * serve-web` runs as its own process (what `npm start` falls back to), Chromium opens the address it
 * prints, and everything happens in the page: connect the local GitLab ("Try it locally"), start
 * the sample agent on acme/web-app (a real container in the sandbox, pushing through the credential
 * gateway), then open the review of the merge request it opened.
 */

test.describe('browser mode, end to end', () => {
  let server: ChildProcess | undefined;
  let dataDir: string | undefined;

  test.afterEach(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('connect the local GitLab, run the sample agent, review its merge request (screenshots)', async ({ page }) => {
    test.setTimeout(600_000);
    requireKeyring();
    const noSandbox = await sandboxSkipReason();
    test.skip(noSandbox !== undefined, `no sandbox for the agent: ${noSandbox ?? ''}`);

    dataDir = mkdtempSync(join(tmpdir(), 'cospec-browser-mode-'));
    const child = spawn(
      process.execPath,
      ['scripts/cospec.mjs', '--data-dir', dataDir, 'serve-web', '--json', '--no-open', '--renderer', RENDERER_OUT],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server = child;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (line) =>
        resolve((JSON.parse(line) as { url: string }).url),
      );
      child.once('exit', (code) => reject(new Error(`cospec serve-web exited with ${code}: ${stderr}`)));
    });

    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
    await page.goto(`${url}#/integrations/gitlab`);
    await expect(page).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/#\/integrations\/gitlab$/); // the secret is gone
    await expect(page.getByText('browser mode')).toBeVisible({ timeout: 30_000 });

    // 1. Connect the local GitLab.
    await page.getByRole('radio', { name: /Try it locally/ }).click();
    await page.getByRole('button', { name: 'Start local GitLab' }).click();
    await expect(page.getByText('Connected as @cospec-bot')).toBeVisible({ timeout: 90_000 });
    await snapPage(page, 'browser-mode-connected');

    // 2. Run the sample agent on acme/web-app.
    await page.getByRole('button', { name: 'Browse repositories' }).click();
    await page.getByPlaceholder('Search by name or path').fill('web-app');
    const row = page.locator('[data-testid="project-row"][data-path="acme/web-app"]');
    await row.getByRole('button', { name: 'Start run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start a run' });
    await dialog.getByLabel('Agent').selectOption('sample');
    await dialog.getByLabel('Task').fill('Add a short CONTRIBUTING note explaining how to run the tests.');
    await dialog.getByRole('button', { name: 'Start run' }).click();
    await expect(page).toHaveURL(/#\/runs\/[\w-]+$/);
    const state = page.getByTestId('state-badge').first();
    await expect(state).toHaveAttribute('data-state', /^(succeeded|failed|cancelled|interrupted)$/, {
      timeout: 420_000,
    });
    await expect(state, await page.locator('.content-inner').innerText()).toHaveAttribute('data-state', 'succeeded');
    const mr = page.getByTestId('output-mr');
    await expect(mr).toBeVisible();
    await snapPage(page, 'browser-mode-run');

    // 3. Review the merge request it opened.
    await mr.getByRole('button', { name: 'Review' }).click();
    await expect(page).toHaveURL(/#\/review\/[\w-]+\/\d+$/);
    await expect(page.locator('.diff-file, [data-testid="file-diff"]').first()).toBeVisible({ timeout: 60_000 });
    await snapPage(page, 'browser-mode-review');

    // Links open in a new tab of this browser (main may run on another machine), vetted as main vets them.
    const [tab] = await Promise.all([
      page.context().waitForEvent('page'),
      page.getByRole('link', { name: 'Open in GitLab' }).click(),
    ]);
    await expect(tab).toHaveURL(/^http:\/\/127\.0\.0\.1:\d+\/acme\/web-app\/-\/merge_requests\/\d+$/);
    await tab.close();
  });
});
