import { expect, requireKeyring, test } from './fixtures';
import { openAgentMergeRequest, seedReviewRun, type AgentChange } from './harness/merge-requests';

requireKeyring();

/*
 * From review back to the agent: a line comment on a run's MR, "Ask the agent to address these
 * comments", the dialog preset from the unresolved threads, and the follow-up run's lineage both
 * ways. The MR is real in the GitLab stand-in (harness/merge-requests.ts); the follow-up is started
 * by the real review and runs services and cancelled once its page shows (the sandbox part of the
 * loop is test/integration/runs/follow-up-loop.test.ts).
 */

const BRANCH = 'cospec/readme-port';
const CHANGE: AgentChange = {
  branch: BRANCH,
  title: 'Document the port',
  description: 'Opened by the sample agent.',
  message: 'Document the port',
  files: { 'README.md': '# Web app\n\nRun it with `npm start`.\n' },
};

test.describe('Review → follow-up run', () => {
  test.use({ withGitLab: true });

  test('asks the agent to address the unresolved threads and shows the lineage', async ({ app }) => {
    const { page } = app;
    const gitlab = app.gitlab!;
    const { account } = await app.services.handlers.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: gitlab.user('cospec-bot').token,
      allowHttp: true,
    });
    const iid = await openAgentMergeRequest(app, CHANGE);
    const runId = await seedReviewRun(app, {
      runId: 'run-parent',
      accountId: account.id,
      iid,
      branch: BRANCH,
      title: CHANGE.title,
    });
    await app.services.handlers.review.comment({
      runId,
      mrIid: iid,
      body: 'Which port? Say it here.',
      position: { path: 'README.md', newLine: 3 },
    });

    await app.goto(`#/review/${runId}/${iid}`);
    const screen = page.getByTestId('review-screen');
    await expect(screen.getByRole('heading', { level: 1 })).toContainText(CHANGE.title);
    await screen.getByTestId('ask-agent').click();

    const dialog = page.getByRole('dialog');
    await expect(dialog.getByTestId('ask-agent-threads')).toHaveText(/1 unresolved thread /);
    const task = dialog.getByLabel('Task');
    await expect(task).toHaveValue(/Address the unresolved review comments on merge request !\d+/);
    await expect(task).toHaveValue(/on README\.md line 3:\n> cospec-bot: Which port\? Say it here\./);
    await expect(dialog.getByRole('combobox')).toHaveValue('sample');
    await expect(dialog).toContainText(BRANCH);
    await app.snap('follow-up-dialog');

    await dialog.getByTestId('confirm-ask-agent').click();
    await expect(page).toHaveURL(/#\/runs\/[0-9a-f-]{36}$/);
    const childId = decodeURIComponent(page.url().split('#/runs/')[1]!);
    await expect(page.getByTestId('run-lineage')).toContainText('Continues run run-pare');
    await expect(page.getByTestId('run-lineage')).toContainText(BRANCH);
    const child = await app.services.handlers.runs.get(childId);
    expect(child.spec).toMatchObject({ continues: runId, branch: BRANCH, agent: { kind: 'adapter', name: 'sample' } });
    await app.snap('follow-up-run');
    await app.services.handlers.runs.cancel(childId);

    await app.goto(`#/runs/${runId}`);
    await expect(page.getByTestId('run-lineage')).toContainText(`Continued by run ${childId.slice(0, 8)}`);
    await app.snap('follow-up-parent');
  });
});
