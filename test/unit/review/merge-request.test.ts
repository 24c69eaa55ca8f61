import { describe, expect, it } from 'vitest';
import { MergeRequestSummarySchema } from '../../../src-shared/model/review';
import {
  ApiMergeRequestSchema,
  mergeStatusOf,
  toSummary,
  type ApiMergeRequest,
} from '../../../src-main/services/review/merge-request';

const mr = (over: Partial<ApiMergeRequest> = {}): ApiMergeRequest =>
  ApiMergeRequestSchema.parse({
    iid: 7,
    project_id: 3,
    title: 'Fix the typo',
    description: null,
    state: 'opened',
    source_branch: 'cospec/fix',
    target_branch: 'main',
    web_url: 'https://gitlab.example/acme/app/-/merge_requests/7',
    author: { id: 1, username: 'cospec-bot' },
    created_at: '2026-11-25T10:00:00Z',
    ...over,
  });

describe('mergeStatusOf', () => {
  it('mergeable and permitted: the button is enabled, no reason', () => {
    expect(mergeStatusOf(mr({ detailed_merge_status: 'mergeable', user: { can_merge: true } }))).toEqual({
      detailed: 'mergeable',
      canMerge: true,
      userCanMerge: true,
      hasConflicts: false,
      checking: false,
    });
  });

  it('explains what blocks it: approvals, pipeline, conflicts, permission, state, still checking', () => {
    expect(mergeStatusOf(mr({ detailed_merge_status: 'not_approved' })).blockedReason).toMatch(/approvals/);
    expect(mergeStatusOf(mr({ detailed_merge_status: 'ci_must_pass' })).blockedReason).toMatch(/pipeline/);
    expect(mergeStatusOf(mr({ detailed_merge_status: 'mergeable', has_conflicts: true })).blockedReason).toMatch(
      /conflicts/,
    );
    expect(mergeStatusOf(mr({ detailed_merge_status: 'mergeable', user: { can_merge: false } }))).toMatchObject({
      canMerge: false,
      userCanMerge: false,
    });
    expect(mergeStatusOf(mr({ state: 'merged' }))).toMatchObject({
      detailed: 'not_open',
      canMerge: false,
      blockedReason: 'It is merged.',
    });
    expect(mergeStatusOf(mr({ detailed_merge_status: 'checking' })).blockedReason).toMatch(/still checking/);
    // GitLab's background phases are "not yet", not a refusal: the UI polls and merge() waits.
    for (const phase of ['preparing', 'unchecked', 'checking'])
      expect(mergeStatusOf(mr({ detailed_merge_status: phase }))).toMatchObject({ checking: true, canMerge: false });
    expect(mergeStatusOf(mr({ detailed_merge_status: 'conflict' }))).toMatchObject({ checking: false });
    expect(mergeStatusOf(mr({ state: 'merged', detailed_merge_status: 'checking' })).checking).toBe(false);
    expect(mergeStatusOf(mr({ detailed_merge_status: 'something_new' })).blockedReason).toMatch(/something_new/);
  });

  it('falls back to the older merge_status', () => {
    expect(mergeStatusOf(mr({ merge_status: 'can_be_merged' })).canMerge).toBe(true);
    expect(mergeStatusOf(mr({ merge_status: 'cannot_be_merged' }))).toMatchObject({
      canMerge: false,
      hasConflicts: true,
    });
  });
});

describe('toSummary', () => {
  it('fills defaults an older instance leaves out and validates against the contract', () => {
    const project = {
      id: 3,
      path_with_namespace: 'acme/app',
      http_url_to_repo: 'x',
      squash_option: 'default_on',
      remove_source_branch_after_merge: true,
    };
    const s = toSummary(project, mr({ head_pipeline: { id: 9, status: 'success', web_url: 'p' }, sha: 'abc' }), null);
    expect(MergeRequestSummarySchema.parse(s)).toMatchObject({
      description: '',
      draft: false,
      headSha: 'abc',
      pipeline: { id: 9, status: 'success', webUrl: 'p' },
      squashDefault: true,
      squashOption: 'default_on',
      removeSourceBranchDefault: true,
      author: { username: 'cospec-bot', name: 'cospec-bot' },
    });
  });

  it('squash: the project decides under always and never, else the MR’s flag, else the project default', () => {
    const project = (squash_option?: string) => ({
      id: 3,
      path_with_namespace: 'acme/app',
      http_url_to_repo: 'x',
      ...(squash_option ? { squash_option } : {}),
    });
    const of = (option: string | undefined, over: Partial<ApiMergeRequest>) => {
      const s = toSummary(project(option), mr(over), null);
      return [s.squashDefault, s.squashOption];
    };
    expect(of('always', { squash: false, squash_on_merge: true })).toEqual([true, 'always']);
    expect(of('never', { squash: true, squash_on_merge: false })).toEqual([false, 'never']);
    expect(of('default_off', { squash: true, squash_on_merge: true })).toEqual([true, 'default_off']);
    expect(of('default_on', {})).toEqual([true, 'default_on']);
    expect(of('something_new', {})).toEqual([false, null]);
    expect(of(undefined, {})).toEqual([false, null]);
  });
});
