import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StandIn } from '../../../tools/gitlab-standin';
import {
  startServicesWithStandIn,
  type ServicesWithStandIn,
  type TestServices,
} from '../../support/services-with-standin';
import { sandboxSkipReason } from '../sandbox/harness';

/**
 * The outputs acceptance run: an agent (a plain command, no adapter) pushes two branches, opens one
 * MR and files two issues; the run shows exactly those five outputs, each once, with its URL.
 */
const skip = await sandboxSkipReason();
if (skip) console.warn(`[runs] skipping the five-outputs run: ${skip}`);

// Runs in the container with no token: git and curl go through the run's proxy and gateway.
const AGENT = String.raw`set -eu
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=/workspace
P="$HTTP_PROXY"; API="$COSPEC_GITLAB_URL/api/v4/projects/$COSPEC_PROJECT_ID"
cd /workspace
for b in feature-one feature-two; do
  git checkout -q -b "cospec/$b" main
  echo "$b" > "$b.txt"; git add "$b.txt"
  git -c user.name=agent -c user.email=agent@example.invalid commit -q -m "Add $b"
  git -c http.proxy="$P" push -q origin "HEAD:refs/heads/cospec/$b"
done
curl -sf --proxy "$P" -X POST "$API/merge_requests" --data-urlencode source_branch=cospec/feature-one --data-urlencode target_branch=main --data-urlencode "title=Feature one" >/dev/null
curl -sf --proxy "$P" -X POST "$API/issues" --data-urlencode "title=First follow-up" >/dev/null
curl -sf --proxy "$P" -X POST "$API/issues" --data-urlencode "title=Second follow-up" >/dev/null
echo done`;

let fixture: ServicesWithStandIn;
let gitlab: StandIn;
let services: TestServices;

describe.skipIf(skip)('run outputs', () => {
  beforeAll(async () => {
    // The test connects the bot itself: connecting is part of what it shows.
    fixture = await startServicesWithStandIn({ prefix: 'five', connect: false });
    ({ gitlab, services } = fixture);
  }, 60_000);
  afterAll(async () => fixture?.close());

  it('shows exactly the two branches, one merge request and two issues an agent made', async () => {
    const { account } = await services.handlers.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: gitlab.user('cospec-bot').token,
      allowHttp: true,
    });
    const started = await services.handlers.runs.start({
      accountId: account.id,
      projectPath: 'acme/unprotected-lib',
      task: 'two branches, one MR, two issues',
      agent: { kind: 'command', command: AGENT },
      allow: [],
    });
    const run = await services.internal.runs.orchestrator.whenDone(started.id);
    expect(run.error).toBeUndefined();
    expect(run.state).toBe('succeeded');

    const summary = run.outputs
      .map((o) =>
        o.kind === 'branch'
          ? `branch ${o.name} ${o.commits.map((c) => c.title).join('|')}`
          : o.kind === 'merge_request'
            ? `mr ${o.title} ${o.sourceBranch}`
            : `issue ${o.title}`,
      )
      .sort();
    expect(summary).toEqual([
      'branch cospec/feature-one Add feature-one',
      'branch cospec/feature-two Add feature-two',
      'issue First follow-up',
      'issue Second follow-up',
      'mr Feature one cospec/feature-one',
    ]);
    for (const o of run.outputs) expect(o.webUrl).toMatch(new RegExp(`^${gitlab.url}/acme/unprotected-lib/-/`));
    expect(run.detail).toBe('2 branches, 1 merge request, 2 issues');
  }, 300_000);
});
