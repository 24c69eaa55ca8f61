import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { RunRecord } from '../../src-shared/model/run';
import { expect, requireKeyring, test, type UiApp } from './fixtures';

requireKeyring();

/*
 * A run's merge request, reviewed against the GitLab stand-in with the real review service:
 * the agent's branch is pushed to the stand-in's repository with git and the MR opened through its
 * REST API as cospec-bot; the run record is seeded through the services' RunStore (the harness has
 * no container engine to run the agent), with the run's clone made by `git clone` where the run
 * would have made it. The diff is computed by the service in that clone.
 */

const PROJECT = 'acme/web-app';
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** Pushes an agent-like branch to the stand-in's repository and opens its MR as cospec-bot; returns the MR iid. */
async function openAgentMergeRequest(app: UiApp): Promise<number> {
  const gitlab = app.gitlab!;
  const work = mkdtempSync(join(tmpdir(), 'review-push-'));
  try {
    git(work, 'clone', '-q', gitlab.repoDir(PROJECT), 'repo');
    const repo = join(work, 'repo');
    git(repo, 'config', 'user.name', 'coSPEC Bot');
    git(repo, 'config', 'user.email', 'cospec-bot@example.com');
    git(repo, 'checkout', '-q', '-b', 'cospec/contributing-guide');
    const write = (path: string, text: string) => {
      mkdirSync(dirname(join(repo, path)), { recursive: true });
      writeFileSync(join(repo, path), text);
    };
    write('CONTRIBUTING.md', '# Contributing\n\n1. Install the dependencies with `npm ci`.\n2. Run the tests with `npm test`.\n3. Open a merge request.\n');
    write('src/app.js', "export function start(name = 'world') {\n  const greeting = `hello ${name}`;\n  console.log(greeting);\n  return greeting;\n}\n");
    write('src/greeting.ts', "export interface Greeting {\n  name: string;\n}\n\n// Says hello.\nexport function greet({ name }: Greeting): string {\n  return `hello ${name}`;\n}\n");
    git(repo, 'mv', 'src/index.js', 'src/main.js');
    // A generated file big enough to start collapsed in the review.
    write('fixtures/products.json', JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ id: i + 1, name: `Product ${i + 1}` })), null, 1) + '\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'Add a contributing guide\n\nAlso return the greeting and add product fixtures.');
    git(repo, 'push', '-q', 'origin', 'cospec/contributing-guide');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const response = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent(PROJECT)}/merge_requests`, {
    method: 'POST',
    headers: { 'PRIVATE-TOKEN': gitlab.user('cospec-bot').token, 'content-type': 'application/json' },
    body: JSON.stringify({
      source_branch: 'cospec/contributing-guide',
      target_branch: 'main',
      title: 'Add a contributing guide',
      description: 'Opened by the sample agent.\n\nExplains how to install, test and propose changes.',
    }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { iid: number }).iid;
}

async function seedRun(app: UiApp, accountId: string, iid: number): Promise<string> {
  const gitlab = app.gitlab!;
  const at = new Date().toISOString();
  const record: RunRecord = {
    id: 'run-review',
    spec: { accountId, projectPath: PROJECT, task: 'Write a contributing guide', agent: { kind: 'adapter', name: 'sample' }, allow: [] },
    state: 'succeeded',
    detail: '1 branch, 1 merge request',
    instanceUrl: gitlab.url,
    projectWebUrl: `${gitlab.url}/${PROJECT}`,
    createdAt: at,
    updatedAt: at,
    endedAt: at,
    exitCode: 0,
    transitions: [
      { state: 'queued', at },
      { state: 'preparing', at },
      { state: 'cloning', at },
      { state: 'running', at },
      { state: 'collecting', at },
      { state: 'succeeded', at },
    ],
    allowlist: [new URL(gitlab.url).host],
    egress: [],
    outputs: [
      { kind: 'branch', name: 'cospec/contributing-guide', sha: null, change: 'created', webUrl: null, commits: [] },
      {
        kind: 'merge_request',
        iid,
        title: 'Add a contributing guide',
        sourceBranch: 'cospec/contributing-guide',
        targetBranch: 'main',
        state: 'opened',
        pipelineStatus: null,
        webUrl: `${gitlab.url}/${PROJECT}/-/merge_requests/${iid}`,
      },
    ],
  };
  const store = app.services.internal.runs.store;
  await store.save(record);
  // The run's clone, as the run left it: the default branch only (the agent pushed from the container).
  const { workspace, dir } = store.paths(record.id);
  mkdirSync(dir, { recursive: true });
  git(dir, 'clone', '-q', gitlab.repoDir(PROJECT), workspace);
  return record.id;
}

test.describe('Review', () => {
  test.use({ withGitLab: true });

  test('reviews a run’s merge request: diff, line comment, approve and merge against the stand-in', async ({ app }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const { account } = await app.services.handlers.accounts.connectWithToken({ instanceUrl: gitlab.url, token: gitlab.user('cospec-bot').token, allowHttp: true });
    const iid = await openAgentMergeRequest(app);
    const runId = await seedRun(app, account.id, iid);

    // From the run's outputs to the review.
    await app.goto(`#/runs/${runId}`);
    await page.getByTestId('output-mr').getByRole('button', { name: 'Review' }).click();
    await expect(page).toHaveURL(new RegExp(`#/review/${runId}/${iid}$`));

    const screen = page.getByTestId('review-screen');
    await expect(screen.getByRole('heading', { level: 1 })).toContainText('Add a contributing guide');
    await expect(screen.getByText('Opened by the sample agent.', { exact: false })).toBeVisible();
    await expect(screen.getByText(/5 files changed/)).toBeVisible();
    await expect(screen.getByText('computed in the run’s clone', { exact: false })).toBeVisible();

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

    // Check the branch out into a folder of the user's: the clone is at the MR's head commit.
    const checkoutDir = join(mkdtempSync(join(tmpdir(), 'review-checkout-')), 'web-app');
    await screen.getByRole('button', { name: 'Check out…' }).click();
    const checkoutDialog = page.getByRole('dialog', { name: 'Check out the branch locally' });
    await checkoutDialog.getByLabel('Folder').fill(checkoutDir);
    await checkoutDialog.getByRole('button', { name: 'Check out' }).click();
    await expect(checkoutDialog.getByText('Checked out cospec/contributing-guide')).toBeVisible();
    await app.snap('review-checkout');
    expect(git(checkoutDir, 'rev-parse', 'HEAD')).toBe(execFileSync('git', ['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', 'refs/heads/cospec/contributing-guide'], { encoding: 'utf8' }).trim());
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
    await app.snap('review-merge-dialog');
    await dialog.getByTestId('confirm-merge').click();
    await expect(dialog).toBeHidden();
    await expect(screen.getByText('This merge request has been merged on GitLab.')).toBeVisible();
    expect(gitlab.mergeRequests(PROJECT).find((mr) => mr.iid === iid)?.state).toBe('merged');
    await app.snap('review-merged');
    // The diff component, the virtualised lists and the dialogs all work under the strict CSP.
    expect(cspViolations).toEqual([]);
  });
});
