import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, requireKeyring, test } from './fixtures';

// Async on purpose: the stand-in serves from this same process, so a synchronous git call would deadlock.
const run = promisify(execFile);

test.describe('Reviews', () => {
  test.use({ withGitLab: true, startAt: '#/reviews' });

  test('lists the open merge requests of runs and opens one for review; an empty list says what will appear', async ({
    app,
  }) => {
    requireKeyring();
    const { page, services } = app;
    const gitlab = app.gitlab!;
    await expect(page.getByText('Nothing to review')).toBeVisible();
    await app.snap('reviews-empty');

    const { account } = await services.handlers.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: gitlab.user('cospec-bot').token,
      allowHttp: true,
    });
    // An agent's work, done the way an agent does it: a pushed branch and an MR opened through the API.
    const work = mkdtempSync(join(tmpdir(), 'cospec-reviews-'));
    try {
      const remote =
        gitlab.url.replace('://', `://cospec-bot:${gitlab.user('cospec-bot').token}@`) + '/acme/api-service.git';
      await run('git', ['clone', '-q', remote, work]);
      await run('git', ['-C', work, 'checkout', '-q', '-b', 'agent/docs']);
      await run('sh', [
        '-c',
        `echo "# Docs" > ${work}/DOCS.md && git -C ${work} add DOCS.md && git -C ${work} -c user.name=a -c user.email=a@x commit -qm "Add docs" && git -C ${work} push -q origin agent/docs`,
      ]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const res = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent('acme/api-service')}/merge_requests`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': gitlab.user('cospec-bot').token, 'content-type': 'application/json' },
      body: JSON.stringify({ source_branch: 'agent/docs', target_branch: 'main', title: 'Document the service' }),
    });
    const mr = (await res.json()) as { iid: number; web_url: string };
    // The run that opened it, as the runs store keeps it.
    const now = new Date().toISOString();
    await services.internal.runs.store.save({
      id: '6f1c1a52-5d7e-4c39-9a43-0d5c6f1f3a11',
      spec: {
        accountId: account.id,
        projectPath: 'acme/api-service',
        task: 'Document the service',
        agent: { kind: 'adapter', name: 'sample' },
        allow: [],
      },
      state: 'succeeded',
      instanceUrl: gitlab.url,
      projectWebUrl: `${gitlab.url}/acme/api-service`,
      createdAt: now,
      updatedAt: now,
      endedAt: now,
      transitions: [
        { state: 'queued', at: now },
        { state: 'succeeded', at: now },
      ],
      allowlist: [],
      egress: [],
      refusals: [],
      outputs: [
        {
          kind: 'merge_request',
          iid: mr.iid,
          title: 'Document the service',
          sourceBranch: 'agent/docs',
          targetBranch: 'main',
          state: 'opened',
          pipelineStatus: null,
          webUrl: mr.web_url,
        },
      ],
    });

    await page.getByRole('button', { name: 'Refresh' }).click();
    const row = page.getByRole('list', { name: 'Merge requests to review' }).getByRole('listitem');
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('Document the service');
    await expect(row).toContainText('acme/api-service');
    await app.snap('reviews');
    await row.getByRole('button', { name: 'Review', exact: true }).click();
    await expect(page).toHaveURL(new RegExp(`#/review/6f1c1a52-5d7e-4c39-9a43-0d5c6f1f3a11/${mr.iid}$`));
  });
});
