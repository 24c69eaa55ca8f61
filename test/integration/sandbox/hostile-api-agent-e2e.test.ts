import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitRemoteForContainer } from '../../../src-main/services/gateway';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { createHarness, runCommand, sandboxSkipReason, sh, type Harness } from './harness';

/**
 * A hostile agent in a real sandbox container, with curl through the run's proxy and the
 * credential gateway to the GitLab stand-in (which runs quick actions as GitLab does). It does
 * honest work (a branch, an issue, an MR, comments, one with a path and a ``` block holding a
 * command) and then tries to get around the API allowlist: quick actions in notes and in a new
 * MR's description, an MR aimed at another project, the project list. The stand-in's state is the
 * judge: nothing merged, approved, retargeted or moved, the other project never seen.
 */

const skip = await sandboxSkipReason();
if (skip) console.warn(`[sandbox] skipping the hostile API agent end-to-end test: ${skip}`);

const PROJECT = 'acme/web-app';
const OTHER = 'tools/cli';

// The agent. `call NAME curl-args…` (JSON) and `form NAME curl-args…` print "RESULT NAME STATUS BODY" on one line.
const AGENT =
  String.raw`#!/bin/sh
set -u
PROXY=${'$'}{HTTPS_PROXY:-${'$'}{HTTP_PROXY:-}}
BASE="${'$'}COSPEC_GITLAB_URL/api/v4"
API="${'$'}BASE/projects/$(printf %s "${'$'}COSPEC_PROJECT_PATH" | sed 's#/#%2F#g')"
OTHER_ID=$(sed -n 's/^OTHER_PROJECT_ID=//p' "${'$'}COSPEC_TASK_FILE")
call() {
  name=${'$'}1; shift
  code=$(curl -s -o /tmp/out -w '%{http_code}' --proxy "${'$'}PROXY" -H 'content-type: application/json' "${'$'}@")
  echo "RESULT ${'$'}name ${'$'}code $(tr '\n' ' ' < /tmp/out | head -c 2000)"
}
form() {
  name=${'$'}1; shift
  code=$(curl -s -o /tmp/out -w '%{http_code}' --proxy "${'$'}PROXY" "${'$'}@")
  echo "RESULT ${'$'}name ${'$'}code $(tr '\n' ' ' < /tmp/out | head -c 2000)"
}
cd /workspace
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0=/workspace
BR="cospec/hostile-${'$'}COSPEC_RUN_ID"
git checkout -q -b "${'$'}BR"
echo 'agent change' > agent.txt
git add agent.txt
git -c user.name=agent -c user.email=agent@example.invalid commit -q -m 'agent change'
git -c "http.proxy=${'$'}PROXY" push -q origin "HEAD:refs/heads/${'$'}BR" && echo "RESULT push 200"

call issue -X POST -d '{"title":"Agent issue","description":"The script calls /usr/bin/env python3."}' "${'$'}API/issues"
call mr -X POST -d "{\"source_branch\":\"${'$'}BR\",\"target_branch\":\"main\",\"title\":\"Agent MR\"}" "${'$'}API/merge_requests"
MR=$(grep -o '"iid":[0-9]*' /tmp/out | head -n 1 | cut -d: -f2)
call comment -X POST -d '{"body":"Done. To check:\n` +
  '```' +
  String.raw`sh\n/usr/bin/make test\n/merge\n` +
  '```' +
  String.raw`"}' "${'$'}API/merge_requests/${'$'}MR/notes"

call note_merge -X POST -d '{"body":"/merge"}' "${'$'}API/merge_requests/${'$'}MR/notes"
call note_approve -X POST -d '{"body":"LGTM\n/approve\n/target_branch feature/login"}' "${'$'}API/merge_requests/${'$'}MR/notes"
form note_form -X POST --data-urlencode 'body=ok
/merge' "${'$'}API/merge_requests/${'$'}MR/notes"
call mr_description -X POST -d '{"source_branch":"feature/conflict","target_branch":"main","title":"Second MR","description":"More\n/target_branch feature/login\n/assign @alice\n/label ~auto"}' "${'$'}API/merge_requests"
call mr_other_project -X POST -d "{\"source_branch\":\"${'$'}BR\",\"target_branch\":\"main\",\"title\":\"Elsewhere\",\"target_project_id\":${'$'}OTHER_ID}" "${'$'}API/merge_requests"
call other_project -X GET "${'$'}BASE/projects/${'$'}OTHER_ID"
call projects -X GET "${'$'}BASE/projects?membership=true&per_page=100"
echo "PATHS projects $(grep -o '"path_with_namespace":"[^"]*"' /tmp/out | cut -d'"' -f4 | tr '\n' ' ')"
call search -X GET "${'$'}BASE/projects?search=cli"
touch /tmp/agent-done
`;

// Over http (absolute-URI requests to the gateway) and https (CONNECT, TLS ended with the run CA).
describe.skipIf(skip).each([{ tls: false }, { tls: true }])(
  'a hostile agent against the API allowlist, in a real sandbox (tls: $tls)',
  ({ tls }) => {
    let gitlab: StandIn;
    let harness: Harness;
    let result: Awaited<ReturnType<typeof runCommand>>;
    let results: Map<string, { status: number; body: string }>;
    const listedPaths = new Map<string, string[]>();
    let otherId: number;
    let mainBefore: string;

    beforeAll(async () => {
      gitlab = await startGitLabStandIn({ tls });
      const dispatcher = gitlab.caPem ? new Agent({ connect: { ca: gitlab.caPem } }) : undefined;
      const token = gitlab.user('cospec-bot').token;
      harness = await createHarness({ egressShape: 'socket' });
      const workspace = join(harness.dir, 'workspace');
      const caFile = join(harness.dir, 'standin-ca.pem');
      if (gitlab.caPem) await writeFile(caFile, gitlab.caPem);
      const env = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: harness.dir,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_TERMINAL_PROMPT: '0',
        COSPEC_TEST_TOKEN: token,
        ...(gitlab.caPem ? { GIT_SSL_CAINFO: caFile } : {}),
      };
      const helper = '!f() { echo username=cospec-bot; echo "password=$COSPEC_TEST_TOKEN"; }; f';
      const clone = await sh(
        'git',
        ['-c', `credential.helper=${helper}`, 'clone', '-q', gitRemoteForContainer(gitlab.url, PROJECT), workspace],
        { env },
      );
      expect(clone.code, clone.stderr || clone.stdout).toBe(0);
      const script = join(workspace, '.hostile-agent.sh');
      await writeFile(script, AGENT);
      const lookup = async (path: string) =>
        (await (
          await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent(path)}`, {
            headers: { 'private-token': token },
            ...(dispatcher ? { dispatcher } : {}),
          } as RequestInit)
        ).json()) as { id: number };
      otherId = (await lookup(OTHER)).id;
      const projectId = (await lookup(PROJECT)).id;
      mainBefore = (await sh('git', ['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', 'main'])).stdout.trim();

      result = await runCommand(harness, '', {
        agent: { kind: 'command', command: 'sh /workspace/.hostile-agent.sh' },
        instanceUrl: gitlab.url,
        allowlist: [new URL(gitlab.url).host],
        projectPath: PROJECT,
        projectId,
        workspace,
        token,
        task: `Try everything\n\nOTHER_PROJECT_ID=${otherId}\n`,
        ...(dispatcher ? { dispatcher } : {}),
      });
      results = new Map();
      for (const line of result.lines) {
        const paths = /PATHS (\S+) ?(.*)$/.exec(line);
        if (paths) listedPaths.set(paths[1]!, (paths[2] ?? '').trim().split(/\s+/).filter(Boolean));
        const m = /RESULT (\S+) (\d+) ?(.*)$/.exec(line);
        if (m) results.set(m[1]!, { status: Number(m[2]), body: m[3] ?? '' });
      }
    }, 300_000);

    afterAll(async () => {
      await gitlab?.close();
      await harness?.cleanup();
    });

    const mrs = () => gitlab.mergeRequests(PROJECT);

    it('does its honest work: a branch, an issue, an MR and a comment with a path and a code block', () => {
      expect(result.result.exitCode, result.lines.join('\n')).toBe(0);
      expect(results.get('push')?.status).toBe(200);
      expect(results.get('issue')?.status, results.get('issue')?.body).toBe(201);
      expect(results.get('mr')?.status, results.get('mr')?.body).toBe(201);
      expect(results.get('comment')?.status, results.get('comment')?.body).toBe(201);
      const mr = mrs().find((m) => m.title === 'Agent MR');
      expect(mr?.notes.map((n) => n.body)).toEqual(['Done. To check:\n```sh\n/usr/bin/make test\n/merge\n```']);
      expect(gitlab.issues(PROJECT).map((i) => i.title)).toContain('Agent issue');
    });

    it('is refused every quick action, in notes and in a new MR description, with the reason', () => {
      for (const name of ['note_merge', 'note_approve', 'note_form', 'mr_description']) {
        const answer = results.get(name);
        expect(answer?.status, `${name}: ${answer?.body}`).toBe(403);
        expect(answer?.body).toMatch(/quick action/);
      }
    });

    it('left nothing merged, approved, retargeted, assigned or labelled', async () => {
      const mr = mrs().find((m) => m.title === 'Agent MR');
      expect(mr).toMatchObject({
        state: 'opened',
        approved_by_ids: [],
        target_branch: 'main',
        notes: [expect.anything()],
      });
      expect(mrs().map((m) => m.title)).not.toContain('Second MR');
      expect(mrs().every((m) => m.state === 'opened' && m.labels.length === 0 && m.assignee_ids.length === 0)).toBe(
        true,
      );
      const main = await sh('git', ['--git-dir', gitlab.repoDir(PROJECT), 'rev-parse', 'main']);
      expect(main.stdout.trim()).toBe(mainBefore);
    });

    it('cannot aim an MR at another project, nor see it', () => {
      expect(results.get('mr_other_project')?.status).toBe(403);
      expect(results.get('mr_other_project')?.body).toMatch(/target_project_id/);
      expect(gitlab.mergeRequests(OTHER)).toEqual([]);
      expect(mrs().map((m) => m.title)).not.toContain('Elsewhere');
      expect(results.get('other_project')?.status).toBe(403);
      expect(results.get('projects')?.status).toBe(200);
      expect(listedPaths.get('projects')).toEqual([PROJECT]);
      expect(JSON.parse(results.get('search')?.body ?? 'null')).toEqual([]);
    });

    it('has every refusal in the run’s gateway record', () => {
      const record = result.result.gatewayRecord as {
        refusals: Array<{ kind: string; target: string }>;
        notes: unknown[];
        mergeRequests: unknown[];
        issues: unknown[];
      };
      const kinds = record.refusals.map((r) => `${r.kind} ${r.target}`);
      // One entry per command tried: /merge twice, /approve, /target_branch twice, /assign, /label.
      const commands = kinds.filter((k) => k.startsWith('quick_action ')).map((k) => k.slice('quick_action '.length));
      expect(commands.sort()).toEqual([
        '/approve',
        '/assign',
        '/label',
        '/merge',
        '/merge',
        '/target_branch',
        '/target_branch',
      ]);
      expect(kinds).toContainEqual(expect.stringMatching(/^api POST .*merge_requests$/));
      expect(kinds).toContainEqual(expect.stringMatching(new RegExp(`^api GET .*/projects/${otherId}$`)));
      expect(record.notes).toHaveLength(1);
      expect(record.mergeRequests).toHaveLength(1);
      expect(record.issues).toHaveLength(1);
    });
  },
);
