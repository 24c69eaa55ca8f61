import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src-shared/model/run';
import { createEventBus } from '../../../src-main/platform/events';
import { createLogger } from '../../../src-main/platform/logger';
import { pathsFor } from '../../../src-main/platform/paths';
import { createServices } from '../../../src-main/services';
import type { RunGit, RunSandbox } from '../../../src-main/services/runs/ports';
import { LONG_PATH_GROUPS, LONG_PROJECT } from '../../../tools/gitlab-standin/seed-shapes';
import { startReviewFixture, type ReviewFixture } from './fixture';

/*
 * The product against what real GitLab instances hold (tools/gitlab-standin/seed-shapes.ts):
 * projects in nested subgroups and under a user's namespace, a long path, an empty repository, and
 * issue and MR ids far from their iids. The repositories list and runs go through the real services
 * (connected with a PAT over TLS); runs stop before any container (the clone and sandbox ports only
 * record being called); the review goes through the review service.
 */
const LONG = `acme/${LONG_PATH_GROUPS.join('/')}/${LONG_PROJECT}`;
const DEEP = 'acme/platform/infra/deploy-tools';
let fx: ReviewFixture;
let dataDir: string;
let services: Awaited<ReturnType<typeof createServices>>;
let accountId: string;
const touched: string[] = [];
const git: RunGit = {
  clone: async () => {
    touched.push('clone');
    return { head: '0'.repeat(40) };
  },
};
const sandbox: RunSandbox = {
  ensureImage: async () => {
    touched.push('image');
    return 'never';
  },
  execute: async () => {
    touched.push('execute');
    throw new Error('must not run');
  },
  removeOrphans: async () => undefined,
};

beforeAll(async () => {
  fx = await startReviewFixture('shapes');
  dataDir = mkdtempSync(join(tmpdir(), 'cospec-shapes-'));
  services = await createServices({
    host: 'harness',
    appVersion: '0.0.0-test',
    paths: pathsFor(dataDir),
    logger: createLogger({ sinks: [] }),
    events: createEventBus(),
    openExternal: async () => undefined,
    protocolRegistered: true,
    policyPath: join(dataDir, 'no-policy.json'),
    runtime: { git, sandbox },
  });
  const connected = await services.handlers.accounts.connectWithToken({
    instanceUrl: fx.gitlab.url,
    token: fx.token,
    allowHttp: false,
    network: { caCertificatesPem: fx.gitlab.caPem!, useSystemCa: true },
  });
  accountId = connected.account.id;
}, 120_000);

afterAll(async () => {
  await services?.dispose();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  await fx?.close();
});

describe('repositories', () => {
  it('lists projects in nested subgroups, under a user, with a long path, and the empty one', async () => {
    const { projects } = await services.handlers.repositories.refresh(accountId);
    const byPath = new Map(projects.map((p) => [p.pathWithNamespace, p]));
    expect(projects).toHaveLength(37);
    expect(byPath.get(DEEP)).toMatchObject({ defaultBranch: 'main', defaultBranchProtected: true });
    expect(byPath.get(LONG)).toMatchObject({ defaultBranch: 'main' });
    expect(byPath.get('maya/scratchpad')).toMatchObject({ defaultBranch: 'main' });
    expect(byPath.get('acme/empty-repo')).toMatchObject({ defaultBranch: null, defaultBranchProtected: null });
  });
});

describe('runs', () => {
  const start = (projectPath: string, over: Record<string, unknown> = {}) =>
    services.handlers.runs.start({
      accountId,
      projectPath,
      task: 'Add a README',
      agent: { kind: 'adapter', name: 'sample' },
      allow: [],
      ...over,
    });
  const settle = async (id: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const run = await services.handlers.runs.get(id);
      if (run.state === 'failed' || run.state === 'succeeded' || run.state === 'cancelled') return run;
      if (Date.now() > deadline) throw new Error(`run ${id} is still ${run.state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('a run on the empty repository is refused up front, saying why and what to do', async () => {
    const before = (await services.handlers.runs.list()).length;
    for (const over of [{}, { branch: 'main' }]) {
      touched.length = 0;
      await expect(start('acme/empty-repo', over)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/empty repository.*Push a first commit/),
      });
      expect(touched).toEqual([]);
    }
    expect(await services.handlers.runs.list()).toHaveLength(before);
  });

  it('a run on a long nested path resolves the project and gets as far as the clone', async () => {
    touched.length = 0;
    const run = await settle((await start(LONG)).id);
    expect(run.projectWebUrl).toBe(`${fx.gitlab.url}/${LONG}`);
    expect(touched).toContain('clone');
  });
});

describe('review', () => {
  it('reviews the MR of a project two subgroups deep by its iid (its global id is far from it)', async () => {
    const review = fx.reviewService([
      { id: 'run-deep', spec: { accountId: 'acc-bot', projectPath: DEEP } } as unknown as RunRecord,
    ]);
    const mr = (await fx.api('GET', `/projects/${encodeURIComponent(DEEP)}/merge_requests/1`)) as { id: number };
    expect(mr.id).toBeGreaterThan(4_800);
    const result = await review.get({ runId: 'run-deep', mrIid: 1 });
    expect(result.summary).toMatchObject({ iid: 1, projectPath: DEEP, sourceBranch: 'feature/canary' });
    expect(result.summary.webUrl).toBe(`${fx.gitlab.url}/${DEEP}/-/merge_requests/1`);
    // No clone for this run: GitLab's diff, of the right MR.
    expect(result.diff.files.map((f) => [f.newPath, f.additions])).toEqual([['deploy.sh', 1]]);
  });
});
