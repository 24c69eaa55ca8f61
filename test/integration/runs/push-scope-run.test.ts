import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandIn } from '../../../tools/gitlab-standin';
import {
  startServicesWithStandIn,
  type ServicesWithStandIn,
  type TestServices,
} from '../../support/services-with-standin';
import { sandboxSkipReason } from '../sandbox/harness';

/**
 * A hostile agent's pushes in a real run: the real services, a real container, the real gateway
 * and the GitLab stand-in. On acme/unprotected-lib GitLab itself would let the bot push to main,
 * so everything refused here is refused by the gateway. A follow-up run then fast-forwards the
 * first run's branch and fails to rewrite it.
 */
const skip = await sandboxSkipReason();
if (skip) console.warn(`[runs] skipping the push-scope runs: ${skip}`);

const PROJECT = 'acme/unprotected-lib';

// Every attempt runs; the expected refusals must not stop the script (their output goes to the log).
const HOSTILE = String.raw`set -u
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=/workspace
P="$HTTP_PROXY"; API="$COSPEC_GITLAB_URL/api/v4/projects/$COSPEC_PROJECT_ID"
g() { git -c http.proxy="$P" -c user.name=agent -c user.email=agent@example.invalid "$@"; }
cd /workspace
g checkout -q -b ""$COSPEC_BRANCH_PREFIX"work" main
echo work > work.txt; g add work.txt; g commit -q -m "Agent work"
echo "== allowed branch"; g push origin "HEAD:refs/heads/"$COSPEC_BRANCH_PREFIX"work" 2>&1 || echo "UNEXPECTED FAILURE"
echo "== default branch"; g push origin HEAD:refs/heads/main 2>&1 && echo "UNEXPECTED SUCCESS"
echo "== tag"; g tag v6.6.6; g push origin refs/tags/v6.6.6 2>&1 && echo "UNEXPECTED SUCCESS"
echo "== outside prefix"; g push origin HEAD:refs/heads/hotfix 2>&1 && echo "UNEXPECTED SUCCESS"
echo "== delete someone else's"; g push origin :refs/heads/main 2>&1 && echo "UNEXPECTED SUCCESS"
echo "== auto-merge options"; g push -o merge_request.create -o merge_request.target=main -o merge_request.merge_when_pipeline_succeeds origin "HEAD:refs/heads/"$COSPEC_BRANCH_PREFIX"auto" 2>&1 && echo "UNEXPECTED SUCCESS"
echo "== ci variable"; g push -o ci.variable=DEPLOY=prod origin "HEAD:refs/heads/"$COSPEC_BRANCH_PREFIX"vars" 2>&1 && echo "UNEXPECTED SUCCESS"
echo "== merge request through the API"
curl -sf --proxy "$P" -X POST "$API/merge_requests" --data-urlencode "source_branch=$COSPEC_BRANCH_PREFIX"work --data-urlencode target_branch=main --data-urlencode "title=Agent work" >/dev/null || echo "UNEXPECTED FAILURE"
curl -sf --proxy "$P" -X POST "$API/issues" --data-urlencode "title=Agent follow-up" >/dev/null || echo "UNEXPECTED FAILURE"
echo done`;

const FOLLOW_UP = String.raw`set -u
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=/workspace
P="$HTTP_PROXY"
g() { git -c http.proxy="$P" -c user.name=agent -c user.email=agent@example.invalid "$@"; }
cd /workspace
g fetch -q origin ""$COSPEC_BRANCH_PREFIX"work" && g checkout -q -b w FETCH_HEAD
echo more >> work.txt; g commit -q -am "More agent work"
echo "== fast-forward"; g push origin "HEAD:refs/heads/"$COSPEC_BRANCH_PREFIX"work" 2>&1 || echo "UNEXPECTED FAILURE"
g reset -q --hard HEAD~2; echo rewritten > work.txt; g add work.txt; g commit -q -m "Rewritten history"
echo "== force"; g push --force origin "HEAD:refs/heads/"$COSPEC_BRANCH_PREFIX"work" 2>&1 && echo "UNEXPECTED SUCCESS"
echo done`;

let fixture: ServicesWithStandIn;
let gitlab: StandIn;
let services: TestServices;
let accountId: string;
const rev = (ref: string) =>
  execFileSync('git', ['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', '--verify', '--quiet', ref], {
    encoding: 'utf8',
  }).trim();
const refs = () =>
  execFileSync('git', ['--git-dir', gitlab.repoDir(PROJECT), 'for-each-ref', '--format=%(refname)'], {
    encoding: 'utf8',
  });

describe.skipIf(skip)('what a run’s agent may push', () => {
  beforeAll(async () => {
    fixture = await startServicesWithStandIn({ prefix: 'push-run' });
    ({ gitlab, services, accountId } = fixture);
    // The user asks for ci.skip on agent pushes (the policy could pin it).
    await services.handlers.settings.update({ ciSkip: true });
  }, 60_000);
  afterAll(async () => fixture?.close());

  let first: Awaited<ReturnType<typeof services.handlers.runs.get>>;

  it('refuses the default branch, tags, other branches and push options; the allowed work succeeds', async () => {
    const mainBefore = rev('refs/heads/main');
    const started = await services.handlers.runs.start({
      accountId,
      projectPath: PROJECT,
      task: 'hostile pushes',
      agent: { kind: 'command', command: HOSTILE },
      allow: [],
    });
    first = await services.internal.runs.orchestrator.whenDone(started.id);
    const log = (await services.handlers.runs.logs(first.id, {})).join('\n');
    expect(first.state, log).toBe('succeeded');
    expect(log).not.toMatch(/UNEXPECTED/);
    // git's own output told the agent why.
    expect(log).toMatch(/remote: coSPEC gateway: refs\/heads\/main: main is the default branch/);
    expect(log).toMatch(/\[remote rejected\] v6\.6\.6 -> v6\.6\.6 \(coSPEC gateway: tags cannot be pushed/);
    expect(log).toMatch(/push option merge_request\.merge_when_pipeline_succeeds is not allowed/);

    // GitLab is untouched by every refused push.
    expect(rev('refs/heads/main')).toBe(mainBefore);
    expect(refs()).not.toMatch(/refs\/tags\/v6\.6\.6|refs\/heads\/hotfix|cospec\/auto|cospec\/vars/);
    expect(gitlab.mergeRequests(PROJECT).map((m) => m.source_branch)).toEqual(['cospec/work']);
    expect(gitlab.mergeRequests(PROJECT)[0]?.merge_when_pipeline_succeeds).toBeFalsy();
    expect(gitlab.pushEvents(PROJECT).some((e) => Object.keys(e.ciVariables).length > 0)).toBe(false);
    // The one accepted push carried ci.skip, added by the gateway.
    expect(gitlab.pushEvents(PROJECT)).toEqual([
      expect.objectContaining({ ciSkip: true, refs: [expect.objectContaining({ ref: 'refs/heads/cospec/work' })] }),
    ]);

    // The run lists what was refused, and its outputs are the allowed work.
    const kinds = new Set((first.refusals ?? []).map((r) => r.kind));
    expect(kinds).toEqual(new Set(['push', 'push_option']));
    expect((first.refusals ?? []).map((r) => r.target)).toEqual(
      expect.arrayContaining([
        'refs/heads/main',
        'refs/tags/v6.6.6',
        'refs/heads/hotfix',
        'merge_request.create',
        'merge_request.merge_when_pipeline_succeeds',
        'ci.variable',
      ]),
    );
    expect(first.outputs.map((o) => o.kind).sort()).toEqual(['branch', 'issue', 'merge_request']);
  }, 300_000);

  it('lets a follow-up run fast-forward that branch but not rewrite it', async () => {
    const started = await services.handlers.runs.start({
      accountId,
      projectPath: PROJECT,
      task: 'continue the work',
      agent: { kind: 'command', command: FOLLOW_UP },
      allow: [],
      continues: first.id,
    });
    const run = await services.internal.runs.orchestrator.whenDone(started.id);
    const log = (await services.handlers.runs.logs(run.id, {})).join('\n');
    expect(run.state, log).toBe('succeeded');
    expect(log).not.toMatch(/UNEXPECTED/);
    expect(log).toMatch(/only a fast-forward is allowed/);
    const tip = rev('refs/heads/cospec/work');
    const subject = execFileSync('git', ['--git-dir', gitlab.repoDir(PROJECT), 'log', '-1', '--format=%s', tip], {
      encoding: 'utf8',
    }).trim();
    expect(subject).toBe('More agent work');
    expect(run.refusals ?? []).toEqual([expect.objectContaining({ kind: 'push', target: 'refs/heads/cospec/work' })]);
  }, 300_000);
});
