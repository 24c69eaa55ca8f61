import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import { MergeRequestReviewSchema } from '../../../src-shared/model/review';
import { createDispatcher } from '../../../src-main/platform/ipc-dispatch';
import type { RunRecord } from '../../../src-shared/model/run';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { removeDir, startServices } from '../accounts/harness';

/*
 * The review service as the app builds it (createServices): the account connected with a PAT and
 * its token in the real secret store, the run record in the runs store, its clone where the runs
 * service keeps it. Needs a Secret Service (scripts/with-keyring.sh); says so and skips without one.
 */
type StandIn = Awaited<ReturnType<typeof startGitLabStandIn>>;
const exec = promisify(execFile);
const PROJECT = 'acme/unprotected-lib';
let gitlab: StandIn;
let ctx: Awaited<ReturnType<typeof startServices>>;
let skipReason: string | undefined;
let mrIid = 0;
const RUN_ID = 'run-review-e2e';

beforeAll(async () => {
  gitlab = await startGitLabStandIn({ tls: true });
  ctx = await startServices();
  const bot = gitlab.user('cospec-bot');
  let accountId: string;
  try {
    const connected = await ctx.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: bot.token,
      allowHttp: false,
      network: { caCertificatesPem: gitlab.caPem!, useSystemCa: true },
    });
    accountId = connected.account.id;
  } catch (error) {
    if (error instanceof CospecError && error.code === 'SECURE_STORAGE_UNAVAILABLE') {
      skipReason = `no Secret Service to keep the token in (run under scripts/with-keyring.sh): ${error.message}`;
      return;
    }
    throw error;
  }

  const runs = ctx.services.internal.runs;
  const workspace = runs.store.paths(RUN_ID).workspace;
  const auth = `http.extraHeader=Authorization: Basic ${Buffer.from(`cospec-bot:${bot.token}`).toString('base64')}`;
  writeFileSync(join(ctx.dataDir, 'ca.pem'), gitlab.caPem!);
  const env = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_SSL_CAINFO: join(ctx.dataDir, 'ca.pem'),
    GIT_AUTHOR_NAME: 'Agent',
    GIT_AUTHOR_EMAIL: 'a@example.com',
    GIT_COMMITTER_NAME: 'Agent',
    GIT_COMMITTER_EMAIL: 'a@example.com',
  };
  // Asynchronous: the stand-in serves git from this process.
  const git = (...args: string[]) => exec('git', ['-c', auth, ...args], { env });
  await git('clone', '-q', `${gitlab.url}/${PROJECT}.git`, workspace);
  await git('-C', workspace, 'checkout', '-q', '-b', 'cospec/notes');
  writeFileSync(join(workspace, 'NOTES.md'), 'Written by the agent.\n');
  await git('-C', workspace, 'add', '-A');
  await git('-C', workspace, 'commit', '-q', '-m', 'Add notes');
  await git('-C', workspace, 'push', '-q', 'origin', 'cospec/notes');
  const res = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent(PROJECT)}/merge_requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bot.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ source_branch: 'cospec/notes', target_branch: 'main', title: 'Add notes' }),
    // @ts-expect-error undici's dispatcher option on Node's fetch
    dispatcher: ctx.services.internal.accounts.networkFor(accountId).dispatcher,
  });
  mrIid = ((await res.json()) as { iid: number }).iid;

  const now = new Date().toISOString();
  const record: RunRecord = {
    id: RUN_ID,
    spec: { accountId, projectPath: PROJECT, task: 'Add notes', agent: { kind: 'adapter', name: 'sample' }, allow: [] },
    state: 'succeeded',
    instanceUrl: gitlab.url,
    projectWebUrl: `${gitlab.url}/${PROJECT}`,
    createdAt: now,
    updatedAt: now,
    endedAt: now,
    exitCode: 0,
    transitions: [{ state: 'succeeded', at: now }],
    allowlist: [],
    egress: [],
    refusals: [],
    outputs: [
      {
        kind: 'merge_request',
        iid: mrIid,
        title: 'Add notes',
        sourceBranch: 'cospec/notes',
        targetBranch: 'main',
        state: 'opened',
        pipelineStatus: null,
        webUrl: 'x',
      },
    ],
  };
  await runs.store.save(record);
}, 120_000);

afterAll(async () => {
  await ctx?.services.dispose();
  await gitlab?.close();
  if (ctx) removeDir(ctx.dataDir);
});

describe('review through createServices (real accounts, secrets and runs)', () => {
  it('reviews, approves and merges a run’s MR as the connected account', async (t) => {
    if (skipReason) {
      console.log(`skipped: ${skipReason}`);
      t.skip();
    }
    const review = ctx.services.handlers.review;
    // Through the dispatcher, as the window and the UI harness call it: arguments and result validated by the contract.
    const dispatch = createDispatcher(ctx.services.handlers, ctx.logger);
    const wire = await dispatch('review', 'get', [{ runId: RUN_ID, mrIid }]);
    if (!wire.ok) throw new Error(JSON.stringify(wire.error));
    const { summary, diff } = MergeRequestReviewSchema.parse(wire.value);
    expect(summary).toMatchObject({ title: 'Add notes', state: 'opened', mergeStatus: { canMerge: true } });
    expect(diff).toMatchObject({
      source: 'local',
      stats: { files: 1, additions: 1, deletions: 0 },
      crossCheck: { consistent: true },
    });
    expect((await review.comment({ runId: RUN_ID, mrIid, body: 'Reviewed in coSPEC.' })).author.username).toBe(
      'cospec-bot',
    );
    expect((await review.approve({ runId: RUN_ID, mrIid })).approvals?.userHasApproved).toBe(true);
    expect(await review.merge({ runId: RUN_ID, mrIid, sha: summary.headSha! })).toMatchObject({ state: 'merged' });
    expect(await dispatch('review', 'merge', [{ runId: RUN_ID, mrIid }])).toMatchObject({
      ok: false,
      error: { code: 'MR_NOT_OPEN' },
    });
    expect(await dispatch('review', 'comment', [{ runId: RUN_ID, mrIid, body: '   ' }])).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT' },
    });
    // No token in what the app logged.
    const token = gitlab.user('cospec-bot').token;
    expect(ctx.logLines.join('\n')).not.toContain(token);
  });
});
