import { z } from 'zod';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { ReviewNote } from '../../../src-shared/model/review';
import { expectOk, getAllPages, gitlabMessage, type ReviewGitLab } from './gitlab-api';
import { ApiUserSchema, mrPath, toUser, type ApiProject } from './merge-request';
import type { LinePosition } from './position';

const ApiNoteSchema = z.object({
  id: z.number().int(),
  body: z.string(),
  author: ApiUserSchema,
  created_at: z.string(),
  system: z.boolean().optional(),
  position: z
    .object({
      new_path: z.string().nullable().optional(),
      old_path: z.string().nullable().optional(),
      new_line: z.number().int().nullable().optional(),
      old_line: z.number().int().nullable().optional(),
    })
    .nullable()
    .optional(),
  resolvable: z.boolean().optional(),
  resolved: z.boolean().optional(),
});
type ApiNote = z.infer<typeof ApiNoteSchema>;

const ApiDiscussionSchema = z.object({ id: z.string(), notes: z.array(ApiNoteSchema) });

function toNote(note: ApiNote, discussionId: string | null): ReviewNote {
  const p = note.position;
  return {
    id: note.id,
    discussionId,
    body: note.body,
    author: toUser(note.author),
    createdAt: note.created_at,
    system: note.system ?? false,
    position: p
      ? { path: p.new_path ?? p.old_path ?? '', newLine: p.new_line ?? null, oldLine: p.old_line ?? null }
      : null,
    resolvable: note.resolvable ?? false,
    resolved: note.resolved ?? false,
  };
}

/** The MR's notes oldest first, each with its thread id (instances without /discussions give plain notes). */
export async function listNotes(gl: ReviewGitLab, project: ApiProject, iid: number): Promise<ReviewNote[]> {
  const base = mrPath(project, iid);
  const probe = await gl.call('GET', `${base}/discussions?per_page=1`);
  if (probe.status === 404) {
    const notes = await getAllPages(
      gl,
      `${base}/notes?sort=asc&order_by=created_at`,
      ApiNoteSchema,
      `The comments of !${iid}`,
    );
    return notes.map((n) => toNote(n, null));
  }
  const discussions = await getAllPages(gl, `${base}/discussions`, ApiDiscussionSchema, `The threads of !${iid}`);
  return discussions
    .flatMap((d) => d.notes.map((n) => toNote(n, d.id)))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id);
}

/** A comment on the whole MR. */
export async function addGeneralNote(
  gl: ReviewGitLab,
  project: ApiProject,
  iid: number,
  body: string,
): Promise<ReviewNote> {
  const answer = await gl.call('POST', `${mrPath(project, iid)}/notes`, { body });
  refuseCommonFailures(answer.status, gl, iid);
  return toNote(expectOk(gl, answer, ApiNoteSchema, `The new comment on !${iid}`), null);
}

/** A comment on one line of the diff, as a new thread anchored at the MR's current diff version. */
export async function addLineNote(
  gl: ReviewGitLab,
  project: ApiProject,
  iid: number,
  body: string,
  refs: { baseSha: string; startSha: string; headSha: string },
  line: LinePosition,
): Promise<ReviewNote> {
  const position = {
    position_type: 'text',
    base_sha: refs.baseSha,
    start_sha: refs.startSha,
    head_sha: refs.headSha,
    ...line,
  };
  const answer = await gl.call('POST', `${mrPath(project, iid)}/discussions`, { body, position });
  refuseCommonFailures(answer.status, gl, iid);
  if (answer.status === 400) {
    throw new CospecError(
      'DIFF_POSITION_INVALID',
      'GitLab did not accept a comment on that line (the MR may have changed since the diff was loaded; refresh and try again).',
      gitlabMessage(answer),
    );
  }
  const discussion = expectOk(gl, answer, ApiDiscussionSchema, `The new thread on !${iid}`);
  const first = discussion.notes[0];
  if (!first) throw new CospecError('NOT_GITLAB', `${gl.host} created a thread without its comment.`);
  return toNote(first, discussion.id);
}

function refuseCommonFailures(status: number, gl: ReviewGitLab, iid: number): void {
  if (status === 403)
    throw new CospecError(
      'FORBIDDEN',
      `${gl.host} does not let this account comment on !${iid} (the MR may be locked).`,
    );
}
