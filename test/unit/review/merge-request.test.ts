import { describe, expect, it } from 'vitest';
import { MergeRequestSummarySchema } from '../../../src-shared/ipc/services/review';
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
      removeSourceBranchDefault: true,
      author: { username: 'cospec-bot', name: 'cospec-bot' },
    });
  });
});
