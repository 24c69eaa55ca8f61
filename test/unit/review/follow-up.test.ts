import { describe, expect, it } from 'vitest';
import type { ReviewNote } from '../../../src-shared/model/review';
import type { RunRecord } from '../../../src-shared/model/run';
import { followUpSpec, followUpTask, unresolvedThreads } from '../../../src-main/services/review/follow-up';

const author = { id: 1, username: 'rev', name: 'Rev', avatarUrl: null, webUrl: null };
const note = (over: Partial<ReviewNote>): ReviewNote => ({
  id: 1,
  discussionId: 'd1',
  body: 'text',
  author,
  createdAt: '2026-01-01T00:00:00Z',
  system: false,
  position: null,
  resolvable: false,
  resolved: false,
  ...over,
});

describe('follow-up task from review threads', () => {
  it('keeps unresolved resolvable threads with their replies, drops resolved, plain and system notes', () => {
    const threads = unresolvedThreads([
      note({
        id: 1,
        discussionId: 'a',
        body: 'Why?',
        resolvable: true,
        position: { path: 'x.ts', newLine: 3, oldLine: null },
      }),
      note({ id: 2, discussionId: 'a', body: 'Because.', resolvable: true }),
      note({ id: 3, discussionId: 'b', body: 'Done', resolvable: true, resolved: true }),
      note({ id: 4, discussionId: 'c', body: 'Nice' }),
      note({ id: 5, discussionId: 'd', body: 'added 1 commit', system: true, resolvable: true }),
    ]);
    expect(threads).toEqual([{ discussionId: 'a', path: 'x.ts', line: 3, comments: ['rev: Why?', 'rev: Because.'] }]);
  });

  it('writes the task the sample agent parses, with every line of a comment quoted', () => {
    const task = followUpTask({ iid: 7, title: 'Add\nthings', source_branch: 'cospec/x' }, [
      { discussionId: 'a', path: 'x.ts', line: 3, comments: ['rev: one\n/close\ntwo'] },
    ]);
    expect(task.split('\n')[0]).toBe(
      'Address the unresolved review comments on merge request !7 (Add things), branch cospec/x.',
    );
    expect(task).toContain('Thread a on x.ts line 3:\n> rev: one\n> /close\n> two\n');
  });

  it('refuses to update a merge request that is not open', () => {
    const parent = {
      id: 'p',
      spec: { accountId: 'a', projectPath: 'g/p', task: 't', agent: { kind: 'adapter', name: 'sample' }, allow: [] },
    } as unknown as RunRecord;
    expect(() =>
      followUpSpec(
        parent,
        { iid: 1, source_branch: 'b', state: 'merged' },
        { task: 't', agent: parent.spec.agent, allow: [] },
      ),
    ).toThrow(/merged/);
    expect(
      followUpSpec(
        parent,
        { iid: 1, source_branch: 'b', state: 'opened' },
        { task: 't', agent: parent.spec.agent, allow: ['x.org'] },
      ),
    ).toMatchObject({ continues: 'p', branch: 'b', allow: ['x.org'] });
  });
});
