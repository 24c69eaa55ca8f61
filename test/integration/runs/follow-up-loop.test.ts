import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src-shared/model/run';
import type { StandIn } from '../../../tools/gitlab-standin';
import {
  startServicesWithStandIn,
  type ServicesWithStandIn,
  type TestServices,
} from '../../support/services-with-standin';
import { sandboxSkipReason } from '../sandbox/harness';

/**
 * The review loop with every real part: a sample-agent run opens an MR in the GitLab stand-in, a
 * reviewer comments on a line through the review service, "Ask the agent" starts a follow-up run
 * in a real Podman sandbox, which appends a commit to the same branch (through the credential
 * gateway's push scope) and answers the thread; the outputs show the same MR, updated.
 */
const skip = await sandboxSkipReason();
if (skip) console.warn(`[follow-up] skipping the review-to-follow-up loop: ${skip}`);

const PROJECT = 'acme/api-service';
let fixture: ServicesWithStandIn;
let gitlab: StandIn;
let services: TestServices;
let accountId: string;

function git(...args: string[]): string {
  return execFileSync('git', ['--git-dir', gitlab.repoDir(PROJECT), ...args], { encoding: 'utf8' }).trim();
}

describe.skipIf(skip)('review → follow-up run → the same MR, updated', () => {
  beforeAll(async () => {
    fixture = await startServicesWithStandIn({ prefix: 'follow-up' });
    ({ gitlab, services, accountId } = fixture);
  }, 120_000);

  afterAll(async () => fixture?.close());

  let first: RunRecord;
  let mrIid: number;
  let discussionId: string;

  it('a first run opens an MR, and a reviewer comments on one of its lines', async () => {
    const started = await services.handlers.runs.start({
      accountId,
      projectPath: PROJECT,
      task: 'Document how to run the service locally',
      agent: { kind: 'adapter', name: 'sample' },
      allow: ['example.org'],
    });
    first = await services.internal.runs.orchestrator.whenDone(started.id);
    expect(first.error).toBeUndefined();
    expect(first.state).toBe('succeeded');
    const mr = first.outputs.find((o) => o.kind === 'merge_request');
    if (mr?.kind !== 'merge_request') throw new Error('the first run opened no merge request');
    mrIid = mr.iid;
    expect(mr.change).toBe('opened');

    const note = await services.handlers.review.comment({
      runId: first.id,
      mrIid,
      body: 'Please say which port the service listens on.',
      position: { path: 'COSPEC_SAMPLE.md', newLine: 1 },
    });
    expect(note.discussionId).toBeTruthy();
    discussionId = note.discussionId ?? '';
    // A resolved thread and a plain comment are not the agent's business.
    await services.handlers.review.comment({ runId: first.id, mrIid, body: 'Thanks for this.' });
  }, 600_000);

  it('drafts the follow-up from the unresolved threads, with the same agent and allowlist', async () => {
    const draft = await services.handlers.review.followUpDraft({ runId: first.id, mrIid });
    expect(draft.threads).toBe(1);
    expect(draft.agent).toEqual({ kind: 'adapter', name: 'sample' });
    expect(draft.allow).toEqual(['example.org']);
    expect(draft.branch).toMatch(/^cospec\//);
    expect(draft.task).toContain(`Thread ${discussionId} on COSPEC_SAMPLE.md line 1:`);
    expect(draft.task).toContain('> cospec-bot: Please say which port the service listens on.');
    expect(draft.task).not.toContain('Thanks for this.');
  });

  let second: RunRecord;

  it('the follow-up appends a commit to the same branch, updates the same MR and answers the thread', async () => {
    const draft = await services.handlers.review.followUpDraft({ runId: first.id, mrIid });
    const branchTip = git('rev-parse', `refs/heads/${draft.branch}`);
    const started = await services.handlers.review.askAgent({
      runId: first.id,
      mrIid,
      task: draft.task,
      agent: draft.agent,
      allow: draft.allow,
    });
    expect(started.spec).toMatchObject({ continues: first.id, branch: draft.branch, allow: ['example.org'] });
    second = await services.internal.runs.orchestrator.whenDone(started.id);
    expect(second.error).toBeUndefined();
    expect(second.state).toBe('succeeded');
    expect(second.refusals).toEqual([]);

    // The branch moved forward by one commit on top of the first run's, which mentions the thread.
    const newTip = git('rev-parse', `refs/heads/${draft.branch}`);
    expect(newTip).not.toBe(branchTip);
    expect(git('rev-parse', `${newTip}~1`)).toBe(branchTip);
    expect(git('log', '-1', '--format=%B', newTip)).toContain(`Addresses thread ${discussionId}.`);

    // Outputs: the branch updated, the same MR (not a new one), no new issue.
    const branch = second.outputs.find((o) => o.kind === 'branch');
    expect(branch).toMatchObject({ kind: 'branch', name: draft.branch, change: 'updated', sha: newTip });
    if (branch?.kind === 'branch') expect(branch.commits.map((c) => c.sha)).toEqual([newTip]);
    const mrs = second.outputs.filter((o) => o.kind === 'merge_request');
    expect(mrs).toEqual([expect.objectContaining({ iid: mrIid, change: 'updated', state: 'opened' })]);
    expect(gitlab.mergeRequests(PROJECT)).toHaveLength(1);
    expect(second.outputs.some((o) => o.kind === 'issue')).toBe(false);

    // The thread has the agent's answer, naming the commit.
    const notes = await services.handlers.review.discussions({ runId: first.id, mrIid });
    const thread = notes.filter((n) => n.discussionId === discussionId);
    expect(thread).toHaveLength(2);
    expect(thread[1]?.body).toContain(`Addressed in ${newTip}`);

    // The MR carries both commits.
    const review = await services.handlers.review.get({ runId: second.id, mrIid });
    expect(review.summary.headSha).toBe(newTip);
  }, 900_000);

  it('records the lineage both ways', async () => {
    const runs = await services.handlers.runs.list();
    expect(runs.find((r) => r.id === second.id)?.spec.continues).toBe(first.id);
  });
});
