import { mkdir, writeFile } from 'node:fs/promises';
import type { RunRecord, RunState } from '../../src-shared/model/run';
import { expect, test, type UiApp } from './fixtures';

/*
 * Runs are seeded, not started: the UI harness has no container engine of its own, so the real
 * orchestrator would fail them at "preparing". The records are written with the services' own
 * RunStore (services.internal.runs.store, the same JSON files runs.list/get read) and the agent log
 * at the store's agentLog path; live progress is driven through the real event bus
 * ('runs.didLog', 'runs.didChange'), which is what the orchestrator emits during a run.
 */

const HOST = 'gitlab.example.test';
const WEB = `https://${HOST}/acme/web-app`;
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

function transitions(states: RunState[], startMinutesAgo: number): RunRecord['transitions'] {
  return states.map((state, i) => ({ state, at: minutesAgo(startMinutesAgo - i * 0.4) }));
}

function baseRecord(id: string, task: string, createdMinutesAgo: number): RunRecord {
  return {
    id,
    spec: {
      accountId: 'acct-1',
      projectPath: 'acme/web-app',
      task,
      agent: { kind: 'adapter', name: 'sample' },
      allow: [],
    },
    state: 'queued',
    instanceUrl: `https://${HOST}`,
    projectWebUrl: WEB,
    createdAt: minutesAgo(createdMinutesAgo),
    updatedAt: minutesAgo(createdMinutesAgo),
    transitions: [],
    allowlist: [HOST],
    egress: [],
    refusals: [],
    outputs: [],
  };
}

async function seed(app: UiApp, record: RunRecord, log: string[]): Promise<void> {
  const store = app.services.internal.runs.store;
  await store.save(record);
  const paths = store.paths(record.id);
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.agentLog, log.map((l) => l + '\n').join(''));
}

const succeeded: RunRecord = {
  ...baseRecord('run-succeeded', 'Add a CONTRIBUTING.md explaining how to run the tests\n\nKeep it short.', 42),
  state: 'succeeded',
  detail: '2 branches, 1 merge request, 2 issues',
  endedAt: minutesAgo(40),
  exitCode: 0,
  transitions: transitions(['queued', 'preparing', 'cloning', 'running', 'collecting', 'succeeded'], 42),
  egress: [
    { destination: `${HOST}:443`, verdict: 'allowed', count: 14, requests: [`CONNECT ${HOST}:443`], allowable: false },
    {
      destination: 'pypi.org:443',
      verdict: 'denied',
      reason: 'pypi.org is not on the allowlist',
      count: 3,
      requests: ['CONNECT pypi.org:443'],
      allowable: true,
    },
    {
      destination: 'pypi.org:80',
      verdict: 'denied',
      reason: 'pypi.org is not on the allowlist',
      count: 2,
      requests: ['GET http://pypi.org/simple/requests/', 'GET http://pypi.org/simple/urllib3/'],
      allowable: true,
    },
    {
      destination: '169.254.169.254:80',
      verdict: 'denied',
      reason: '169.254.169.254 is a link-local address',
      count: 1,
      requests: ['GET http://169.254.169.254/latest/meta-data/'],
      allowable: false,
    },
  ],
  outputs: [
    {
      kind: 'branch',
      name: 'cospec/contributing-guide',
      sha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
      change: 'created',
      webUrl: `${WEB}/-/tree/cospec/contributing-guide`,
      commits: [
        {
          sha: 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0',
          title: 'Explain how to run the tests',
          webUrl: `${WEB}/-/commit/a1b2c3d4`,
        },
        {
          sha: 'b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1',
          title: 'Add CONTRIBUTING.md',
          webUrl: `${WEB}/-/commit/b2c3d4e5`,
        },
      ],
    },
    {
      kind: 'branch',
      name: 'cospec/scratch',
      sha: 'c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0a1b2',
      change: 'created',
      webUrl: null,
      commits: [],
    },
    {
      kind: 'merge_request',
      iid: 7,
      title: 'Add a contributing guide',
      sourceBranch: 'cospec/contributing-guide',
      targetBranch: 'main',
      state: 'opened',
      pipelineStatus: 'success',
      webUrl: `${WEB}/-/merge_requests/7`,
    },
    {
      kind: 'issue',
      iid: 12,
      title: 'Tests need a database that is not documented',
      state: 'opened',
      webUrl: `${WEB}/-/issues/12`,
    },
    {
      kind: 'issue',
      iid: 13,
      title: 'Lint config disagrees with the editorconfig',
      state: 'closed',
      webUrl: `${WEB}/-/issues/13`,
    },
  ],
};

const failed: RunRecord = {
  ...baseRecord('run-failed', 'Upgrade the build to Node 22', 90),
  state: 'failed',
  detail: 'The agent exited with code 2.',
  error: { code: 'RUN_FAILED', message: 'The agent exited with code 2.' },
  endedAt: minutesAgo(88),
  exitCode: 2,
  transitions: transitions(['queued', 'preparing', 'cloning', 'running', 'collecting', 'failed'], 90),
  egress: [
    {
      destination: 'registry.npmjs.org:443',
      verdict: 'denied',
      reason: 'registry.npmjs.org is not on the allowlist',
      count: 5,
      requests: ['CONNECT registry.npmjs.org:443'],
      allowable: true,
    },
  ],
};

const running: RunRecord = {
  ...baseRecord('run-live', 'Fix the flaky login test', 2),
  state: 'running',
  detail: 'Agent running',
  transitions: transitions(['queued', 'preparing', 'cloning', 'running'], 2),
};

test.describe('Runs', () => {
  test('lists runs with their states and shows a finished run’s timeline, outputs and network decisions', async ({
    app,
  }) => {
    const { page } = app;
    const log = Array.from(
      { length: 300 },
      (_, i) => `[agent] step ${i + 1}: ${i % 7 === 0 ? 'git push origin cospec/contributing-guide' : 'editing files'}`,
    );
    await seed(app, succeeded, log);
    await seed(app, failed, [
      '[agent] npm ci',
      'npm ERR! network request to https://registry.npmjs.org/ failed',
      'npm ERR! code ECONNREFUSED',
      '[agent] giving up',
    ]);
    await app.goto('#/runs/run-succeeded');

    const list = page.getByRole('navigation', { name: 'Runs' });
    await expect(list.getByTestId('run-item')).toHaveCount(2);
    await expect(list.locator('[data-state="succeeded"]').getByTestId('state-badge')).toContainText('Succeeded');
    await expect(list.locator('[data-state="failed"]').getByTestId('state-badge')).toContainText('Failed');

    const detail = page.getByTestId('run-detail');
    await expect(detail.getByTestId('run-timeline').locator('[data-state]')).toHaveCount(6);
    await expect(detail.getByTestId('output-branch')).toHaveCount(2);
    await expect(detail.getByTestId('output-mr')).toHaveCount(1);
    await expect(detail.getByTestId('output-issue')).toHaveCount(2);
    await expect(detail.getByText('Explain how to run the tests')).toBeVisible();
    // Repeated denials are one row per host, with the ports and the requests that asked.
    const pypi = detail.locator('tr[data-host="pypi.org"]');
    await expect(pypi).toHaveCount(1);
    await expect(pypi).toContainText('ports 443, 80');
    await expect(pypi).toContainText('GET http://pypi.org/simple/requests/');
    await expect(pypi).toContainText('CONNECT pypi.org:443');
    await expect(pypi.locator('td.num')).toHaveText('5');
    // Denied destinations are listed first: they are the ones to act on.
    await expect(detail.locator('tbody tr').first()).toHaveAttribute('data-verdict', 'denied');
    // The log is virtualised: 300 lines kept, a few dozen in the DOM, following the end.
    await expect(detail.getByText('300 lines')).toBeVisible();
    await expect(detail.getByTestId('run-log').getByText('[agent] step 300: editing files')).toBeVisible();
    expect(await detail.getByTestId('run-log').locator('.log-line').count()).toBeLessThan(80);
    await app.snap('runs-outputs');

    // Links open GitLab in the system browser; Review opens the local review of that MR.
    const since = app.opened.length;
    await detail.getByRole('link', { name: '#12 Tests need a database that is not documented' }).click();
    expect(await app.nextOpened(since)).toBe(`${WEB}/-/issues/12`);
    await detail.getByTestId('output-mr').getByRole('button', { name: 'Review' }).click();
    await expect(page).toHaveURL(/#\/review\/run-succeeded\/7$/);

    // A run that produced nothing says so, with the agent's last lines.
    await app.goto('#/runs/run-failed');
    await expect(page.getByTestId('outputs-empty')).toContainText('pushed no branches');
    await expect(page.getByTestId('outputs-empty')).toContainText('npm ERR! code ECONNREFUSED');
    await expect(page.getByTestId('run-status')).toContainText('exited with code 2');
    await app.snap('runs-failed');
  });

  test('shows what the credential gateway refused, of every kind, with the reason the agent got', async ({ app }) => {
    const { page } = app;
    await seed(
      app,
      {
        ...succeeded,
        id: 'run-refused',
        refusals: [
          {
            kind: 'push',
            target: 'refs/heads/main',
            reason: 'main is the default branch; agents push only to branches under cospec/',
            count: 2,
          },
          {
            kind: 'push_option',
            target: 'merge_request.merge_when_pipeline_succeeds',
            reason:
              'push option merge_request.merge_when_pipeline_succeeds is not allowed: merge requests are opened through the API, where the app records them',
            count: 1,
          },
          {
            kind: 'api',
            target: 'POST /api/v4/projects/9/merge_requests',
            reason: 'project 9 is not part of this run',
            count: 1,
          },
          { kind: 'quick_action', target: '/merge', reason: 'quick actions are not run for agents', count: 3 },
        ],
      },
      [
        '[agent] git push origin HEAD:main',
        ' ! [remote rejected] HEAD -> main (coSPEC gateway: main is the default branch)',
      ],
    );
    await app.goto('#/runs/run-refused');
    const detail = page.getByTestId('run-detail');
    const card = detail.locator('.card', { hasText: 'Refused by the gateway' });
    await expect(card).toBeVisible();
    await expect(card.locator('tbody tr')).toHaveCount(4);
    await expect(card.getByText('7 attempts were refused before reaching GitLab')).toBeVisible();
    for (const kind of ['Push', 'Push option', 'API call', 'Quick action'])
      await expect(card.getByText(kind, { exact: true })).toBeVisible();
    await expect(card.getByText('refs/heads/main')).toBeVisible();
    await expect(card.getByText(/main is the default branch/)).toBeVisible();
    await card.scrollIntoViewIfNeeded();
    await app.snap('runs-refusals');

    // A run the gateway refused nothing has no such card.
    await seed(app, succeeded, ['[agent] done']);
    await app.goto('#/runs/run-succeeded');
    await expect(page.getByTestId('run-detail').getByText('Refused by the gateway')).toHaveCount(0);
  });

  test('follows a live run: new log lines and state changes arrive as events', async ({ app }) => {
    const { page, events } = app;
    await seed(app, running, ['[agent] cloning done', '[agent] running the test suite']);
    await app.goto('#/runs');
    // Without a run id the newest run is shown.
    const detail = page.getByTestId('run-detail');
    await expect(detail).toHaveAttribute('data-state', 'running');
    await expect(detail.getByRole('button', { name: 'Cancel run' })).toBeVisible();
    await expect(detail.getByTestId('run-log').getByText('[agent] running the test suite')).toBeVisible();

    events.emit('runs.didLog', {
      runId: 'run-live',
      lines: ['[agent] test login.spec.ts … retry 1', '[agent] found the race: the token refresh'],
    });
    await expect(detail.getByTestId('run-log').getByText('[agent] found the race: the token refresh')).toBeVisible();
    await expect(detail.getByText('4 lines, live')).toBeVisible();
    await app.snap('runs-live');

    const collecting: RunRecord = {
      ...running,
      state: 'collecting',
      detail: 'Detecting branches, merge requests and issues',
      transitions: [...running.transitions, { state: 'collecting', at: new Date().toISOString() }],
    };
    events.emit('runs.didChange', collecting);
    await expect(detail).toHaveAttribute('data-state', 'collecting');
    await expect(page.getByTestId('run-status')).toContainText('Detecting branches');

    const done: RunRecord = {
      ...collecting,
      state: 'succeeded',
      detail: 'The agent finished without pushing branches, opening merge requests or filing issues.',
      endedAt: new Date().toISOString(),
      exitCode: 0,
      transitions: [...collecting.transitions, { state: 'succeeded', at: new Date().toISOString() }],
    };
    events.emit('runs.didChange', done);
    await expect(detail).toHaveAttribute('data-state', 'succeeded');
    await expect(detail.getByRole('button', { name: 'Cancel run' })).toBeHidden();
    await expect(page.getByRole('navigation', { name: 'Runs' }).getByTestId('state-badge')).toContainText('Succeeded');
  });

  test('cancel reaches the orchestrator, which says when the run is not live in this app', async ({ app }) => {
    const { page } = app;
    await seed(app, { ...running, id: 'run-orphan' }, []);
    await app.goto('#/runs/run-orphan');
    const detail = page.getByTestId('run-detail');
    await expect(detail.getByText('Waiting for the agent’s first line…')).toBeVisible();
    await detail.getByRole('button', { name: 'Cancel run' }).click();
    await expect(page.getByText('The run could not be cancelled')).toBeVisible();
    await expect(page.getByText('Run run-orphan is not running in this app.')).toBeVisible();
  });

  test('“Allow and run again” adds the blocked host to the allowed destinations and starts the same task', async ({
    app,
  }) => {
    const { page } = app;
    await seed(app, succeeded, ['[agent] pip install requests', 'ERROR: could not reach pypi.org']);
    await app.goto('#/runs/run-succeeded');
    const detail = page.getByTestId('run-detail');
    const pypi = detail.locator('tr[data-host="pypi.org"]');
    await expect(pypi.getByRole('button', { name: 'Allow and run again' })).toBeEnabled();
    // An address the sandbox never reaches (metadata) offers nothing to click.
    await expect(
      detail.locator('tr[data-host="169.254.169.254"]').getByRole('button', { name: 'Allow and run again' }),
    ).toHaveCount(0);
    await pypi.scrollIntoViewIfNeeded();
    await app.snap('runs-egress-allow-and-run-again');

    await pypi.getByRole('button', { name: 'Allow and run again' }).click();
    // A new run of the same task, shown at once; the first stays as it was.
    await expect(page).not.toHaveURL(/#\/runs\/run-succeeded$/);
    await expect(page).toHaveURL(/#\/runs\/[0-9a-f-]{36}$/);
    const runs = await app.services.handlers.runs.list();
    expect(runs).toHaveLength(2);
    const again = runs.find((r) => r.id !== 'run-succeeded')!;
    expect(again.spec.task).toBe(succeeded.spec.task);
    expect(again.spec.agent).toEqual(succeeded.spec.agent);
    // Both ports the agent tried are now the user's own allowed destinations, as in Settings.
    const settings = await app.services.handlers.settings.get();
    expect(settings.egress.user).toEqual(['pypi.org:443', 'pypi.org:80']);
    await expect(page.getByTestId('run-detail')).toContainText(succeeded.spec.task.split('\n')[0]!);
  });

  test.describe('with the organization managing the allowlist', () => {
    test.use({ policy: { version: 1, egress: { allow: ['registry.corp.example'], allowUserAdditions: false } } });

    test('the button says why it cannot allow the host, and nothing starts', async ({ app }) => {
      const { page } = app;
      await seed(app, failed, ['[agent] npm ci']);
      await app.goto('#/runs/run-failed');
      const detail = page.getByTestId('run-detail');
      const button = detail.locator('tr[data-host="registry.npmjs.org"]').getByRole('button', {
        name: 'Allow and run again',
      });
      await expect(button).toBeDisabled();
      await expect(button).toHaveAttribute('title', /organization manages the egress allowlist/);
      await expect(detail.getByText('ask your administrator')).toBeVisible();
      // The service refuses as well, whatever the renderer does.
      await expect(
        app.services.handlers.runs.rerun('run-failed', { allow: ['registry.npmjs.org:443'] }),
      ).rejects.toMatchObject({ code: 'POLICY_FORBIDS' });
      expect(await app.services.handlers.runs.list()).toHaveLength(1);
      await button.scrollIntoViewIfNeeded();
      await app.snap('runs-egress-managed');
    });
  });

  test('with no runs yet, the screen points to the repositories', async ({ app }) => {
    await app.goto('#/runs');
    await expect(app.page.getByRole('heading', { name: 'No runs yet' })).toBeVisible();
    await app.page.getByRole('button', { name: 'New run' }).first().click();
    await expect(app.page).toHaveURL(/#\/repositories$/);
  });
});
