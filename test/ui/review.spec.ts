import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, requireKeyring, test } from './fixtures';
import {
  branchHead,
  git,
  openAgentMergeRequest,
  PROJECT,
  seedReviewRun,
  type AgentChange,
} from './harness/merge-requests';

requireKeyring();

/*
 * A run's merge request, reviewed against the GitLab stand-in with the real review service: the
 * agent's branch is pushed and its MR opened for real, the run seeded with its clone (see
 * harness/merge-requests.ts). The diff is computed by the service in that clone.
 */

const BRANCH = 'cospec/contributing-guide';
const TITLE = 'Add a contributing guide';

/** The sample agent's change: a guide, an edit, a TypeScript file, a rename and a generated file big enough to start collapsed. */
const AGENT_CHANGE: AgentChange = {
  branch: BRANCH,
  title: TITLE,
  description: 'Opened by the sample agent.\n\nExplains how to install, test and propose changes.',
  message: 'Add a contributing guide\n\nAlso return the greeting and add product fixtures.',
  files: {
    'CONTRIBUTING.md':
      '# Contributing\n\n1. Install the dependencies with `npm ci`.\n2. Run the tests with `npm test`.\n3. Open a merge request.\n',
    'src/app.js':
      "export function start(name = 'world') {\n  const greeting = `hello ${name}`;\n  console.log(greeting);\n  return greeting;\n}\n",
    'src/greeting.ts':
      'export interface Greeting {\n  name: string;\n}\n\n// Says hello.\nexport function greet({ name }: Greeting): string {\n  return `hello ${name}`;\n}\n',
    'fixtures/products.json':
      JSON.stringify(
        Array.from({ length: 500 }, (_, i) => ({ id: i + 1, name: `Product ${i + 1}` })),
        null,
        1,
      ) + '\n',
  },
  renames: [['src/index.js', 'src/main.js']],
};

test.describe('Review', () => {
  // A folder picker that cancels until the test gives it a folder (app.pickedFolder).
  test.use({ withGitLab: true, pickedFolder: null });

  test('reviews a run’s merge request: diff, line comment, approve and merge against the stand-in', async ({ app }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const { account } = await app.services.handlers.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: gitlab.user('cospec-bot').token,
      allowHttp: true,
    });
    const iid = await openAgentMergeRequest(app, AGENT_CHANGE);
    const runId = await seedReviewRun(app, {
      runId: 'run-review',
      accountId: account.id,
      iid,
      branch: BRANCH,
      title: TITLE,
      task: 'Write a contributing guide',
    });

    // From the run's outputs to the review.
    await app.goto(`#/runs/${runId}`);
    await page.getByTestId('output-mr').getByRole('button', { name: 'Review' }).click();
    await expect(page).toHaveURL(new RegExp(`#/review/${runId}/${iid}$`));

    const screen = page.getByTestId('review-screen');
    await expect(screen.getByRole('heading', { level: 1 })).toContainText('Add a contributing guide');
    await expect(screen.getByText('Opened by the sample agent.', { exact: false })).toBeVisible();
    await expect(screen.getByText(/5 files changed/)).toBeVisible();
    await expect(screen.getByText('computed on this computer', { exact: false })).toBeVisible();

    const tree = page.getByRole('navigation', { name: 'Changed files' });
    await expect(tree.getByRole('button')).toHaveCount(5);
    const guide = screen.locator('[data-testid="file-diff"][data-path="CONTRIBUTING.md"]');
    await expect(guide.getByText('Run the tests with', { exact: false })).toBeVisible();
    const fixtures = screen.locator('[data-testid="file-diff"][data-path="fixtures/products.json"]');
    await tree.getByRole('button', { name: /products\.json/ }).click();
    await expect(fixtures.getByText(/collapsed to keep the review fast/)).toBeVisible();
    await tree.getByRole('button', { name: /CONTRIBUTING\.md/ }).click();
    // Syntax colours arrive once the page is idle: a TypeScript file gets Prism tokens, Markdown its own.
    const greeting = screen.locator('[data-testid="file-diff"][data-path="src/greeting.ts"]');
    await expect(greeting.locator('.token.keyword', { hasText: 'interface' })).toBeVisible();
    await expect(greeting.locator('.token.comment')).toHaveText('// Says hello.');
    await expect(greeting.locator('.token.function', { hasText: 'greet' })).toBeVisible();
    await expect(guide.locator('.token.title').first()).toBeVisible();
    await app.snap('review-diff');
    await tree.getByRole('button', { name: /greeting\.ts/ }).click();
    await app.snap('review-diff-highlighted');
    await tree.getByRole('button', { name: /CONTRIBUTING\.md/ }).click();

    await screen.getByRole('button', { name: 'Side by side' }).click();
    await expect(guide.locator('.diff-split')).toBeVisible();
    await app.snap('review-diff-split');
    await screen.getByRole('button', { name: 'Unified' }).click();

    // A comment on an added line (line 4 of the new file), posted to GitLab with its position.
    const line4 = guide.locator('tr', { hasText: 'Run the tests with' }).locator('td.diff-gutter').last();
    await line4.hover();
    await line4.click();
    const box = guide.getByPlaceholder('Comment on this line');
    await box.fill('Mention `npm run test:ui` too.');
    await guide.getByRole('button', { name: 'Comment', exact: true }).click();
    await expect(box).toBeHidden();
    const notes = await app.services.handlers.review.discussions({ runId, mrIid: iid });
    const lineNote = notes.find((n) => n.body === 'Mention `npm run test:ui` too.');
    // The stand-in validates the position against the MR's diff (shas, file, a line the diff shows) and keeps it.
    expect(lineNote?.position).toMatchObject({ path: 'CONTRIBUTING.md', newLine: 4 });
    await expect(guide.getByTestId('review-note').getByText('Mention `npm run test:ui` too.')).toBeVisible();

    // A general comment.
    await page.getByPlaceholder('Write a comment on this merge request').fill('Thanks, looks good.');
    await page.locator('.review-discussion').getByRole('button', { name: 'Comment', exact: true }).click();
    await expect(page.locator('.review-discussion').getByText('Thanks, looks good.')).toBeVisible();

    // Check the branch out into a folder the user picks with the (stand-in) OS folder picker: a
    // cancelled pick changes nothing; the chosen folder fills the field; the clone is at the MR's head.
    const checkoutDir = join(mkdtempSync(join(tmpdir(), 'review-checkout-')), 'web-app');
    await screen.getByRole('button', { name: 'Check out…' }).click();
    const checkoutDialog = page.getByRole('dialog', { name: 'Check out the branch locally' });
    const folderField = checkoutDialog.getByLabel('Folder');
    app.pickedFolder = null;
    await checkoutDialog.getByRole('button', { name: 'Choose…' }).click();
    await expect.poll(() => app.pickFolderRequests.length).toBe(1);
    await expect(folderField).toHaveValue('');
    app.pickedFolder = checkoutDir;
    await checkoutDialog.getByRole('button', { name: 'Choose…' }).click();
    await expect(folderField).toHaveValue(checkoutDir);
    expect(app.pickFolderRequests[1]).toEqual({ title: `Check out ${BRANCH} into…` });
    await checkoutDialog.getByRole('button', { name: 'Check out', exact: true }).click();
    await expect(checkoutDialog.getByText(`Checked out ${BRANCH}`)).toBeVisible();
    await app.snap('review-checkout');
    expect(await git(checkoutDir, 'rev-parse', 'HEAD')).toBe(branchHead(app, BRANCH));
    await checkoutDialog.getByRole('button', { name: 'Done' }).click();
    rmSync(dirname(checkoutDir), { recursive: true, force: true });

    // Approve, then merge after confirming.
    const approve = screen.getByRole('button', { name: 'Approve' });
    if (await approve.isEnabled()) {
      await approve.click();
      await expect(screen.getByRole('button', { name: 'Revoke approval' })).toBeVisible();
    }
    await screen.getByRole('button', { name: 'Merge', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Merge !${iid}?` });
    await expect(dialog).toBeVisible();
    await expect(dialog).toContainText('cospec/contributing-guide');
    // Squash as GitLab's merge widget offers it (the project's squash_option is default_off): a choice,
    // with the squash commit's message (the MR's title unless edited) shown when ticked.
    const squash = dialog.getByRole('checkbox', { name: /Squash commits/ });
    await expect(squash).not.toBeChecked();
    await expect(dialog.getByTestId('squash-message')).toBeHidden();
    await squash.check();
    await expect(dialog.getByTestId('squash-message')).toBeVisible();
    await dialog.getByTestId('squash-message').fill('Add a contributing guide');
    await app.snap('review-merge-dialog');
    await dialog.getByTestId('confirm-merge').click();
    await expect(dialog).toBeHidden();
    await expect(screen.getByText('This merge request has been merged on GitLab.')).toBeVisible();
    const merged = gitlab.mergeRequests(PROJECT).find((mr) => mr.iid === iid);
    expect(merged).toMatchObject({ state: 'merged', squash: true, squash_commit_sha: expect.any(String) });
    await app.snap('review-merged');
    // The diff component, the virtualised lists and the dialogs all work under the strict CSP.
    expect(cspViolations).toEqual([]);
  });
  test('files beyond the first page get their hunks when scrolled or jumped to, and take line comments', async ({
    app,
  }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    const { account } = await app.services.handlers.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: gitlab.user('cospec-bot').token,
      allowHttp: true,
    });
    // More files than the first page holds (40): the last ones come from main without hunks.
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i++)
      files[`src/mod-${String(i).padStart(2, '0')}.ts`] = `// Module ${i}.\nexport const value${i} = ${i};\n`;
    const change: AgentChange = {
      branch: 'cospec/many-modules',
      title: 'Add sixty modules',
      description: 'Many files.',
      message: 'Add sixty modules',
      files,
    };
    const iid = await openAgentMergeRequest(app, change);
    const runId = await seedReviewRun(app, {
      runId: 'run-many',
      accountId: account.id,
      iid,
      branch: change.branch,
      title: change.title,
    });
    const { diff } = await app.services.handlers.review.get({ runId, mrIid: iid });
    const deferred = diff.files.filter((f) => f.deferred).map((f) => f.newPath);
    expect(deferred).toContain('src/mod-59.ts');
    expect(deferred).toContain('src/mod-50.ts');

    await app.goto(`#/review/${runId}/${iid}`);
    const screen = page.getByTestId('review-screen');
    await expect(screen.getByText(/60 files changed/)).toBeVisible();
    const fileOf = (path: string) => screen.locator(`[data-testid="file-diff"][data-path="${path}"]`);
    await expect(fileOf('src/mod-00.ts').getByText('export const value0 = 0;')).toBeVisible();

    // Jump to a deferred file from the tree.
    const tree = page.getByRole('navigation', { name: 'Changed files' });
    await tree.evaluate((el) => el.scrollTo({ top: el.scrollHeight })); // the tree is a virtual list too
    await tree.getByRole('button', { name: /mod-50\.ts/ }).click();
    const fifty = fileOf('src/mod-50.ts');
    await expect(fifty.getByText('export const value50 = 50;')).toBeVisible();
    await app.snap('review-deferred-file');

    // A line comment on a deferred file, anchored on GitLab.
    const line2 = fifty.locator('tr', { hasText: 'export const value50' }).locator('td.diff-gutter').last();
    await line2.hover();
    await line2.click();
    await fifty.getByPlaceholder('Comment on this line').fill('Why fifty?');
    await fifty.getByRole('button', { name: 'Comment', exact: true }).click();
    await expect(fifty.getByTestId('review-note').getByText('Why fifty?')).toBeVisible();
    const notes = await app.services.handlers.review.discussions({ runId, mrIid: iid });
    expect(notes.find((n) => n.body === 'Why fifty?')?.position).toMatchObject({ path: 'src/mod-50.ts', newLine: 2 });
    // Scrolled to the end: the last file's hunks are fetched, rendered and highlighted.
    await page.getByTestId('diff-scroll').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
    const last = fileOf('src/mod-59.ts');
    await expect(last.getByText('export const value59 = 59;')).toBeVisible();
    await expect(last.locator('.token.comment')).toHaveText('// Module 59.');
    await expect(last.getByTestId('deferred-placeholder')).toHaveCount(0);
  });
});
