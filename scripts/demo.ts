/**
 * `npm run demo`: the whole product offline in one command. Starts the local GitLab stand-in,
 * connects its bot user with a personal access token, runs the sample agent in the real container
 * sandbox on a seeded repository (it edits a file, commits, pushes a branch, opens a merge request
 * and files an issue through the credential gateway), prints the detected outputs, and cleans up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCospecApi } from '../src-shared/ipc/client';
import { createEventBus } from '../src-main/platform/events';
import { createDispatcher } from '../src-main/platform/ipc-dispatch';
import { createLogger, fileSink } from '../src-main/platform/logger';
import { pathsFor } from '../src-main/platform/paths';
import { createServices } from '../src-main/services';
import type { RunOutput } from '../src-shared/model/run';
import { startGitLabStandIn } from '../tools/gitlab-standin';

const PROJECT = 'acme/web-app';
const say = (line: string) => process.stdout.write(`${line}\n`);
const step = (n: number, text: string) => say(`\n\x1b[1m${n}. ${text}\x1b[0m`);

function describeOutput(o: RunOutput): string {
  switch (o.kind) {
    case 'branch':
      return `branch  ${o.name} (${o.change}, ${o.commits.length} commit${o.commits.length === 1 ? '' : 's'})  ${o.webUrl ?? ''}`;
    case 'merge_request':
      return `MR      !${o.iid} ${o.title} [${o.state}${o.change === 'updated' ? ', updated' : ''}]  ${o.webUrl}`;
    case 'issue':
      return `issue   #${o.iid} ${o.title} [${o.state}]  ${o.webUrl}`;
  }
}

async function main(): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cospec-demo-'));
  const paths = pathsFor(dataDir);
  const logger = createLogger({ sinks: [fileSink(join(paths.logsDir, 'demo.log'))] });
  const events = createEventBus();
  let gitlab: Awaited<ReturnType<typeof startGitLabStandIn>> | undefined;
  let services: Awaited<ReturnType<typeof createServices>> | undefined;
  const cleanup = async () => {
    await services?.dispose().catch(() => undefined);
    await gitlab?.close().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

  try {
    step(1, 'Starting the local GitLab stand-in');
    gitlab = await startGitLabStandIn({ dataDir: join(dataDir, 'gitlab') });
    const bot = gitlab.user('cospec-bot');
    say(`   ${gitlab.url}  (bot user ${bot.username}, Developer)`);

    services = await createServices({
      host: 'cli',
      appVersion: 'demo',
      paths,
      logger,
      events,
      openExternal: async () => undefined,
      protocolRegistered: false,
      policyPath: join(dataDir, 'no-policy.json'),
    });
    const api = createCospecApi({
      invoke: createDispatcher(services.handlers, logger),
      subscribe: (e, l) => events.on(e, l),
    });

    step(2, 'Connecting the bot account with a personal access token');
    const { account, warnings } = await api.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: bot.token,
      allowHttp: true,
    });
    say(`   connected ${account.username} on ${account.host} (GitLab ${account.gitlabVersion ?? '?'})`);
    for (const w of warnings) say(`   note: ${w.message}`);

    step(3, 'Listing repositories with Developer access or higher');
    const projects = await api.repositories.refresh(account.id);
    say(
      `   ${projects.projects.length} repositories, e.g. ${projects.projects
        .slice(0, 3)
        .map((p) => p.pathWithNamespace)
        .join(', ')}`,
    );

    step(4, `Running the sample agent on ${PROJECT} in the container sandbox`);
    const started = await api.runs.start({
      accountId: account.id,
      projectPath: PROJECT,
      task: 'Add a CONTRIBUTING note for new developers',
      agent: { kind: 'adapter', name: 'sample' },
      allow: [],
    });
    let lastState = '';
    const offChange = events.on('runs.didChange', (r) => {
      if (r.id !== started.id || r.state === lastState) return;
      lastState = r.state;
      say(`   [${r.state}] ${r.detail ?? ''}`);
    });
    const offLog = events.on('runs.didLog', ({ runId, lines }) => {
      if (runId === started.id) for (const l of lines) say(`   │ ${l}`);
    });
    const finished = await services.internal.runs.orchestrator.whenDone(started.id);
    offChange();
    offLog();

    step(5, 'Outputs the app detected');
    if (finished.state !== 'succeeded') {
      say(`   the run ${finished.state}: ${finished.error?.message ?? finished.detail ?? ''}`);
      return 1;
    }
    for (const o of finished.outputs) say(`   ${describeOutput(o)}`);
    const denied = finished.egress.filter((e) => e.verdict === 'denied');
    say(
      `   egress: ${finished.egress.filter((e) => e.verdict === 'allowed').length} allowed destination(s), ${denied.length} denied`,
    );
    const kinds = new Set(finished.outputs.map((o) => o.kind));
    if (!kinds.has('branch') || !kinds.has('merge_request') || !kinds.has('issue')) {
      say('   expected a branch, a merge request and an issue');
      return 1;
    }

    // The loop back from review: a reviewer's line comment becomes a follow-up run's task.
    const mr = finished.outputs.find((o) => o.kind === 'merge_request');
    if (mr?.kind !== 'merge_request') return 1;
    step(6, `Reviewing !${mr.iid}: a comment on a line of the diff`);
    const note = await services.handlers.review.comment({
      runId: finished.id,
      mrIid: mr.iid,
      body: 'Please mention where new developers ask questions.',
      position: { path: 'COSPEC_SAMPLE.md', newLine: 1 },
    });
    say(`   ${note.author.username} on ${note.position?.path} line ${note.position?.newLine}: ${note.body}`);

    step(7, 'Asking the agent to address the comments (a follow-up run on the same branch and MR)');
    const draft = await services.handlers.review.followUpDraft({ runId: finished.id, mrIid: mr.iid });
    say(`   ${draft.threads} unresolved thread(s); the follow-up works on ${draft.branch}`);
    const followUp = await services.handlers.review.askAgent({
      runId: finished.id,
      mrIid: mr.iid,
      task: draft.task,
      agent: draft.agent,
      allow: draft.allow,
    });
    say(`   run ${followUp.id} continues run ${finished.id}`);
    const offLog2 = events.on('runs.didLog', ({ runId, lines }) => {
      if (runId === followUp.id) for (const l of lines) say(`   │ ${l}`);
    });
    const second = await services.internal.runs.orchestrator.whenDone(followUp.id);
    offLog2();
    if (second.state !== 'succeeded') {
      say(`   the follow-up ${second.state}: ${second.error?.message ?? second.detail ?? ''}`);
      return 1;
    }
    for (const o of second.outputs) say(`   ${describeOutput(o)}`);

    step(8, `!${mr.iid} now`);
    const thread = (await services.handlers.review.discussions({ runId: finished.id, mrIid: mr.iid })).filter(
      (n) => n.discussionId === note.discussionId,
    );
    const review = await services.handlers.review.get({ runId: second.id, mrIid: mr.iid });
    say(
      `   ${review.summary.state}, head ${review.summary.headSha?.slice(0, 8)}, ${review.diff.stats.files} file(s) changed`,
    );
    const branchOut = second.outputs.find((o) => o.kind === 'branch');
    const firstBranch = finished.outputs.find((o) => o.kind === 'branch');
    const mrCommits = [
      ...(branchOut?.kind === 'branch' ? branchOut.commits : []),
      ...(firstBranch?.kind === 'branch' ? firstBranch.commits : []),
    ];
    say(`   carries ${mrCommits.length} commits:`);
    for (const c of mrCommits) say(`     ${c.sha.slice(0, 8)} ${c.title}`);
    for (const n of thread) say(`   thread: ${n.author.username}: ${n.body}`);
    if (thread.length < 2 || mrCommits.length !== 2) {
      say('   expected the MR to carry both commits and the thread to be answered');
      return 1;
    }
    say('\nDemo finished: everything above ran for real, offline, and is cleaned up now.');
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    say(`\ndemo failed: ${message}`);
    if (/ENGINE_UNAVAILABLE|container engine/i.test(message)) say('Set up Podman first: npm run setup:system');
    return 1;
  } finally {
    await cleanup();
  }
}

process.exit(await main());
