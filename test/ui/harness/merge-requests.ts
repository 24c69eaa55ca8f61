import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { RunRecord } from '../../../src-shared/model/run';
import type { UiApp } from '../fixtures';

/*
 * Merge requests "an agent opened", made for real on the GitLab stand-in: a branch is committed and
 * pushed with git to the stand-in's repository and the MR opened through its REST API as cospec-bot;
 * the run that opened it is seeded through the services' RunStore (the harness has no container
 * engine to run an agent), with the run's clone made where the run would have made it. Shared by
 * test/ui/review.spec.ts and `npm run bench review`.
 */

export const PROJECT = 'acme/web-app';
const exec = promisify(execFile);
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'coSPEC Bot',
  GIT_AUTHOR_EMAIL: 'cospec-bot@example.com',
  GIT_COMMITTER_NAME: 'coSPEC Bot',
  GIT_COMMITTER_EMAIL: 'cospec-bot@example.com',
};

/** git in `cwd`, asynchronous: the stand-in serves git from this same process and must not be starved. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', args, { cwd, encoding: 'utf8', env: GIT_ENV, maxBuffer: 256 * 1024 * 1024 });
  return stdout.trim();
}

export interface AgentChange {
  branch: string;
  title: string;
  description: string;
  /** Files written (path → contents), relative to the repository root. */
  files: Record<string, string>;
  /** `git mv` pairs applied before the commit. */
  renames?: Array<[from: string, to: string]>;
  message?: string;
  /** Commit to this branch instead of creating `branch` from main (used to grow main itself). */
  onto?: 'main';
}

async function writeFiles(repo: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), text);
  }
}

/** Commits `change` in a scratch clone of the stand-in's repository and pushes it; returns the pushed commit. */
export async function pushChange(app: UiApp, change: AgentChange): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'cospec-mr-push-'));
  try {
    await git(work, 'clone', '-q', app.gitlab!.repoDir(PROJECT), 'repo');
    const repo = join(work, 'repo');
    if (change.onto !== 'main') await git(repo, 'checkout', '-q', '-b', change.branch);
    await writeFiles(repo, change.files);
    for (const [from, to] of change.renames ?? []) await git(repo, 'mv', from, to);
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-q', '-m', change.message ?? change.title);
    await git(repo, 'push', '-q', 'origin', change.onto === 'main' ? 'main' : change.branch);
    return await git(repo, 'rev-parse', 'HEAD');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Pushes the agent's branch and opens its MR against main as cospec-bot; returns the MR iid. */
export async function openAgentMergeRequest(app: UiApp, change: AgentChange): Promise<number> {
  const gitlab = app.gitlab!;
  await pushChange(app, change);
  const response = await fetch(`${gitlab.url}/api/v4/projects/${encodeURIComponent(PROJECT)}/merge_requests`, {
    method: 'POST',
    headers: { 'PRIVATE-TOKEN': gitlab.user('cospec-bot').token, 'content-type': 'application/json' },
    body: JSON.stringify({
      source_branch: change.branch,
      target_branch: 'main',
      title: change.title,
      description: change.description,
    }),
  });
  if (response.status !== 201)
    throw new Error(`opening the merge request failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { iid: number }).iid;
}

/** The commit a branch of the stand-in's repository points at. */
export function branchHead(app: UiApp, branch: string): string {
  return execFileSync('git', ['--git-dir', app.gitlab!.repoDir(PROJECT), 'rev-parse', `refs/heads/${branch}`], {
    encoding: 'utf8',
  }).trim();
}

/** Seeds a finished run that opened MR `iid` from `branch`, with its clone of the default branch; returns the run id. */
export async function seedReviewRun(
  app: UiApp,
  opts: { runId: string; accountId: string; iid: number; branch: string; title: string; task?: string },
): Promise<string> {
  const gitlab = app.gitlab!;
  const at = new Date().toISOString();
  const record: RunRecord = {
    id: opts.runId,
    spec: {
      accountId: opts.accountId,
      projectPath: PROJECT,
      task: opts.task ?? opts.title,
      agent: { kind: 'adapter', name: 'sample' },
      allow: [],
    },
    state: 'succeeded',
    detail: '1 branch, 1 merge request',
    instanceUrl: gitlab.url,
    projectWebUrl: `${gitlab.url}/${PROJECT}`,
    createdAt: at,
    updatedAt: at,
    endedAt: at,
    exitCode: 0,
    transitions: (['queued', 'preparing', 'cloning', 'running', 'collecting', 'succeeded'] as const).map((state) => ({
      state,
      at,
    })),
    allowlist: [new URL(gitlab.url).host],
    egress: [],
    refusals: [],
    outputs: [
      { kind: 'branch', name: opts.branch, sha: null, change: 'created', webUrl: null, commits: [] },
      {
        kind: 'merge_request',
        iid: opts.iid,
        title: opts.title,
        sourceBranch: opts.branch,
        targetBranch: 'main',
        state: 'opened',
        pipelineStatus: null,
        webUrl: `${gitlab.url}/${PROJECT}/-/merge_requests/${opts.iid}`,
      },
    ],
  };
  const store = app.services.internal.runs.store;
  await store.save(record);
  // The run's clone, as the run left it: the default branch only (the agent pushed from the container).
  const { workspace, dir } = store.paths(record.id);
  mkdirSync(dir, { recursive: true });
  await git(dir, 'clone', '-q', gitlab.repoDir(PROJECT), workspace);
  return record.id;
}
