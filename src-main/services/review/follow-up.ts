import { CospecError } from '../../../src-shared/ipc/errors';
import type { FollowUpDraft, ReviewNote } from '../../../src-shared/model/review';
import type { RunRecord, RunSpec } from '../../../src-shared/model/run';
import type { ApiMergeRequest } from './merge-request';

/**
 * "Ask the agent to address these comments": the MR's unresolved threads become the task of a run
 * that continues the one that opened the MR, on the MR's source branch (the gateway lets a
 * follow-up fast-forward its parent's branches and nothing else that exists; push-scope.ts).
 *
 * The task is plain text any agent can read; its first line and the `Thread <id>` headings are a
 * stable format the sample agent (resources/agents/sample-agent.sh) parses to reply on each thread.
 */

/** Thread text is the reviewer's, but a long paste should not become a megabyte task. */
const MAX_THREAD_CHARS = 4_000;
const MAX_THREADS = 50;

export interface UnresolvedThread {
  discussionId: string;
  path: string | null;
  line: number | null;
  /** The thread's comments, oldest first, as "author: text". */
  comments: string[];
}

/** Threads a reviewer still expects an answer on: resolvable and not resolved (GitLab's own notion). */
export function unresolvedThreads(notes: ReviewNote[]): UnresolvedThread[] {
  const threads = new Map<string, UnresolvedThread>();
  const open = new Set<string>();
  for (const note of notes) {
    if (note.system || !note.discussionId) continue;
    let thread = threads.get(note.discussionId);
    if (!thread) {
      thread = {
        discussionId: note.discussionId,
        path: note.position?.path || null,
        line: note.position?.newLine ?? note.position?.oldLine ?? null,
        comments: [],
      };
      threads.set(note.discussionId, thread);
    }
    thread.comments.push(`${note.author.username}: ${note.body}`);
    if (note.resolvable && !note.resolved) open.add(note.discussionId);
  }
  return [...threads.values()].filter((t) => open.has(t.discussionId)).slice(0, MAX_THREADS);
}

export function followUpTask(
  mr: Pick<ApiMergeRequest, 'iid' | 'title' | 'source_branch'>,
  threads: UnresolvedThread[],
): string {
  const lines = [
    `Address the unresolved review comments on merge request !${mr.iid} (${oneLine(mr.title)}), branch ${mr.source_branch}.`,
    'Commit your changes on that branch and push it (the merge request updates itself); then reply on each thread saying what you changed.',
    '',
  ];
  for (const t of threads) {
    const where = t.path ? `${t.path}${t.line !== null ? ` line ${t.line}` : ''}` : 'the merge request';
    lines.push(`Thread ${t.discussionId} on ${where}:`);
    let text = t.comments.join('\n');
    if (text.length > MAX_THREAD_CHARS) text = `${text.slice(0, MAX_THREAD_CHARS)} […]`;
    for (const l of text.split('\n')) lines.push(`> ${l}`);
    lines.push('');
  }
  return lines.join('\n').trimEnd() + '\n';
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 200);
}

export function followUpDraft(
  parent: RunRecord,
  mr: Pick<ApiMergeRequest, 'iid' | 'title' | 'source_branch' | 'state'>,
  notes: ReviewNote[],
): FollowUpDraft {
  const threads = unresolvedThreads(notes);
  return {
    task: followUpTask(mr, threads),
    threads: threads.length,
    agent: parent.spec.agent,
    allow: parent.spec.allow,
    branch: mr.source_branch,
  };
}

/** The spec of the follow-up run: the parent's account, project and time limit, on the MR's branch. */
export function followUpSpec(
  parent: RunRecord,
  mr: Pick<ApiMergeRequest, 'iid' | 'source_branch' | 'state'>,
  choice: Pick<RunSpec, 'task' | 'agent' | 'allow'>,
): RunSpec {
  if (mr.state !== 'opened')
    throw new CospecError(
      'INVALID_INPUT',
      `Merge request !${mr.iid} is ${mr.state}; an agent can only update an open merge request. Reopen it on GitLab first.`,
    );
  return {
    accountId: parent.spec.accountId,
    projectPath: parent.spec.projectPath,
    branch: mr.source_branch,
    task: choice.task,
    agent: choice.agent,
    allow: choice.allow,
    ...(parent.spec.timeoutMinutes ? { timeoutMinutes: parent.spec.timeoutMinutes } : {}),
    continues: parent.id,
  };
}
