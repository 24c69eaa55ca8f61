import { preparing } from './api/mergeability';
import * as repo from './git/repo';
import type { SeedCommit } from './git/seed-repo';
import {
  ACCESS,
  type AccessLevel,
  type GroupRecord,
  type IssueRecord,
  type MergeRequestRecord,
  type ProjectRecord,
  type UserRecord,
} from './model';
import type { Store } from './store';

type Add = (
  g: GroupRecord,
  path: string,
  options: Partial<ProjectRecord>,
  history: SeedCommit[] | 'filler' | 'empty',
) => ProjectRecord;
type Protect = (p: ProjectRecord, name: string, push: AccessLevel, merge: AccessLevel) => void;
type Group = (
  store: Store,
  path: string,
  name: string,
  members: Array<[UserRecord, AccessLevel]>,
  options?: { parent?: GroupRecord; kind?: 'group' | 'user' },
) => GroupRecord;

/** Where the deep subgroup chain ends, and its project: a full path of about 130 characters. */
export const LONG_PATH_GROUPS = ['platform', 'infra', 'regions', 'europe-west-and-north-production-clusters'];
export const LONG_PROJECT = 'kubernetes-cluster-configuration-for-the-production-environment';

/**
 * The shapes of a GitLab instance in real use that the plain seed lacks, added to it:
 *
 * - `acme/platform/infra/deploy-tools`: a project two subgroups deep (members inherited from acme),
 *   with issues and an open MR of its own;
 * - `acme/platform/infra/regions/europe-west-and-north-production-clusters/kubernetes-…`: a long path
 *   five namespaces deep, with a long name;
 * - `maya/scratchpad`: a project in a user's personal namespace, cospec-bot invited as Developer;
 * - `acme/empty-repo`: a repository without a single commit (default_branch null, empty_repo true);
 * - global ids of issues, MRs and notes far from their iids, as on an instance used for years
 *   (an id used where an iid belongs finds nothing instead of the wrong item).
 *
 * Projects are added in a fixed order after the original seed, so the ids of those stay as they were.
 */
export function realInstanceShapes(
  store: Store,
  h: {
    add: Add;
    protect: Protect;
    group: Group;
    people: { root: UserRecord; bot: UserRecord; alice: UserRecord; maya: UserRecord };
    sig: (u: UserRecord) => { name: string; email: string };
  },
): { afterRepositories(): Promise<void> } {
  const { root, bot, alice, maya } = h.people;
  const acme = store.groups.find((g) => g.path === 'acme' && g.parent === null);
  if (!acme) throw new Error('the seed has no acme group');
  store.ids.startAfter('merge_request', 4_800);
  store.ids.startAfter('issue', 12_300);
  store.ids.startAfter('note', 98_000);

  // Subgroups inherit acme's members; infra adds one of its own.
  const platform = h.group(store, 'platform', 'Platform', [], { parent: acme });
  const infra = h.group(store, 'infra', 'Infrastructure', [[maya, ACCESS.maintainer]], { parent: platform });
  const T = 1_704_500_000;
  const deploy = h.add(infra, 'deploy-tools', { description: 'Deployment scripts, two subgroups deep.' }, [
    {
      branch: 'main',
      author: h.sig(root),
      time: T,
      message: 'Initial commit\n',
      files: { 'README.md': '# Deploy tools\n', 'deploy.sh': '#!/bin/sh\necho deploy\n' },
    },
    {
      branch: 'feature/canary',
      from: 'main',
      author: h.sig(alice),
      time: T + 3600,
      message: 'Deploy a canary first\n',
      files: { 'deploy.sh': '#!/bin/sh\necho canary\necho deploy\n' },
    },
  ]);
  h.protect(deploy, 'main', ACCESS.maintainer, ACCESS.developer);

  let parent = infra;
  for (const path of LONG_PATH_GROUPS.slice(2)) {
    const name = path.replace(/-/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
    parent = h.group(store, path, name, [], { parent });
  }
  const long = h.add(
    parent,
    LONG_PROJECT,
    {
      name: 'Kubernetes Cluster Configuration for the Production Environment',
      description: 'A project with a long path, five namespaces deep.',
    },
    [
      {
        branch: 'main',
        author: h.sig(root),
        time: T + 100,
        message: 'Initial commit\n',
        files: { 'README.md': '# Cluster configuration\n', 'values.yaml': 'replicas: 3\n' },
      },
    ],
  );
  h.protect(long, 'main', ACCESS.maintainer, ACCESS.maintainer);

  const mayaNs = h.group(store, 'maya', maya.name, [[maya, ACCESS.owner]], { kind: 'user' });
  h.add(
    mayaNs,
    'scratchpad',
    {
      description: 'Maya’s personal project; cospec-bot is invited.',
      creator_id: maya.id,
      members: new Map([[bot.id, ACCESS.developer]]),
    },
    [
      {
        branch: 'main',
        author: h.sig(maya),
        time: T + 200,
        message: 'Notes\n',
        files: { 'NOTES.md': '# Scratchpad\n' },
      },
    ],
  );

  h.add(acme, 'empty-repo', { description: 'Created on GitLab, nothing pushed yet.', default_branch: null }, 'empty');

  return {
    async afterRepositories() {
      const at = '2024-01-20T10:00:00.000Z';
      const issue = (iid: number, title: string, author: UserRecord): IssueRecord => ({
        id: store.ids.take('issue'),
        iid,
        project_id: deploy.id,
        title,
        description: '',
        state: 'opened',
        author_id: author.id,
        assignee_ids: [],
        labels: [],
        confidential: false,
        created_at: at,
        updated_at: at,
        closed_at: null,
        closed_by_id: null,
        notes: [],
      });
      deploy.issues.push(issue(1, 'Roll back on a failed health check', alice), issue(2, 'Document the canary', maya));
      const target = await repo.revParse(deploy.repo_dir, 'refs/heads/main');
      const head = await repo.revParse(deploy.repo_dir, 'refs/heads/feature/canary');
      if (!target || !head) throw new Error('deploy-tools was not seeded');
      const mr: MergeRequestRecord = {
        id: store.ids.take('merge_request'),
        iid: 1,
        project_id: deploy.id,
        title: 'Deploy a canary first',
        description: 'Canary before the full roll-out.',
        state: 'opened',
        source_branch: 'feature/canary',
        target_branch: 'main',
        author_id: alice.id,
        assignee_ids: [],
        reviewer_ids: [],
        labels: [],
        draft: false,
        remove_source_branch: false,
        created_at: at,
        updated_at: at,
        merged_at: null,
        merged_by_id: null,
        merge_commit_sha: null,
        closed_at: null,
        closed_by_id: null,
        frozen_sha: null,
        frozen_base_sha: null,
        approved_by_ids: [],
        notes: [],
        squash: false,
        squash_commit_sha: null,
        merge_error: null,
        ...preparing(store),
        target_sha_seen: target,
      };
      mr.mergeability = { phase: 'checked', ready_at: 0 };
      mr.prepared_at = at;
      deploy.merge_requests.push(mr);
      await repo.setRef(deploy.repo_dir, `refs/merge-requests/${mr.iid}/head`, head);
    },
  };
}
