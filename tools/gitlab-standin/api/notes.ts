import { createHash } from 'node:crypto';
import { str } from '../http/body';
import { paginate } from '../http/paginate';
import type { Router } from '../http/router';
import { errors, type Ctx, type Reply } from '../http/types';
import type { DiffPosition, IssueRecord, MergeRequestRecord, NoteRecord, ProjectRecord } from '../model';
import { noteJson } from '../present/work-items';
import { requireAuth } from '../auth';
import { requireParams, sortBy } from './common';
import * as repo from '../git/repo';
import { gitState, mergeMergeRequest } from './merge-requests';
import { applyCommands, commandsOnlyBody, extractCommands, type QuickTarget } from './quick-actions';

type Noteable = { project: ProjectRecord; item: MergeRequestRecord | IssueRecord };

/** GET/POST {base}/:iid/notes for merge requests and issues (anyone who can see the item may comment). */
export function noteRoutes(
  router: Router,
  base: string,
  type: 'MergeRequest' | 'Issue',
  find: (ctx: Ctx) => Noteable,
): void {
  const describe = (item: Noteable['item']) => ({ type, id: item.id, iid: item.iid });
  // Every note goes out through here (noteJson adds a line comment's position and resolved state).
  const noteOut = (ctx: Ctx, project: ProjectRecord, note: NoteRecord, item: Noteable['item']) =>
    noteJson(ctx.store, project, note, describe(item), ctx.baseUrl);
  router.get(`${base}/:iid/notes`, (ctx) => {
    const { project, item } = find(ctx);
    const ordered = sortBy(
      item.notes,
      (n) => (ctx.query.get('order_by') === 'updated_at' ? n.updated_at : n.created_at) + String(n.id).padStart(9, '0'),
      ctx.query.get('sort'),
    );
    return paginate(
      ctx,
      ordered.map((n) => noteOut(ctx, project, n, item)),
    );
  });
  router.get(`${base}/:iid/notes/:note_id`, (ctx) => {
    const { project, item } = find(ctx);
    const note = item.notes.find((n) => n.id === Number(ctx.params.note_id));
    if (!note) throw errors.notFound('Note');
    return { body: noteOut(ctx, project, note, item) };
  });
  // Quick actions in a note run on its item; a note made only of them is not saved (202).
  const commandsIn = async (
    ctx: Ctx,
    { project, item }: Noteable,
    text: string,
  ): Promise<{ content: string; changes?: Record<string, unknown>; onlyCommands?: Reply }> => {
    const { content, commands } = extractCommands(text);
    if (commands.length === 0) return { content: text };
    const target: QuickTarget =
      type === 'Issue'
        ? { kind: 'issue', project, item: item as IssueRecord, persisted: true }
        : { kind: 'merge_request', project, item: item as MergeRequestRecord, persisted: true };
    const result = await applyCommands(ctx, target, commands, mergeMergeRequest);
    return content.trim() === ''
      ? { content, onlyCommands: { status: 202, body: commandsOnlyBody(result) } }
      : { content, changes: result.changes };
  };
  router.post(`${base}/:iid/notes`, async (ctx) => {
    const principal = requireAuth(ctx.principal, 'write');
    const { project, item } = find(ctx);
    requireParams(ctx, ['body']);
    const text = await commandsIn(ctx, { project, item }, str(ctx.body.body) ?? '');
    if (text.onlyCommands) return text.onlyCommands;
    const now = ctx.store.nowIso();
    const note: NoteRecord = {
      id: ctx.store.ids.take('note'),
      body: text.content,
      author_id: principal.user.id,
      created_at: now,
      updated_at: now,
      system: false,
    };
    item.notes.push(note);
    item.updated_at = now;
    return { status: 201, body: { ...noteOut(ctx, project, note, item), commands_changes: text.changes ?? {} } };
  });

  // Discussions: every stand-in note is its own (individual) discussion, replies append to it.
  const discussion = (ctx: Ctx, project: ProjectRecord, item: Noteable['item'], notes: NoteRecord[]) => ({
    id: discussionId(notes[0]!),
    individual_note: notes.length === 1,
    notes: notes.map((n) => noteOut(ctx, project, n, item)),
  });
  router.get(`${base}/:iid/discussions`, (ctx) => {
    const { project, item } = find(ctx);
    const threads = new Map<string, NoteRecord[]>();
    for (const n of item.notes) {
      const key = n.discussion_id ?? discussionId(n);
      threads.set(key, [...(threads.get(key) ?? []), n]);
    }
    return paginate(
      ctx,
      [...threads.values()].map((notes) => discussion(ctx, project, item, notes)),
    );
  });
  type Added = { project: ProjectRecord; item: Noteable['item']; note: NoteRecord; thread: NoteRecord[] };
  const addNote = async (
    ctx: Ctx,
    threadId?: string,
    position?: DiffPosition,
  ): Promise<Added | { onlyCommands: Reply }> => {
    const principal = requireAuth(ctx.principal, 'write');
    const { project, item } = find(ctx);
    requireParams(ctx, ['body']);
    const thread = threadId ? item.notes.filter((n) => (n.discussion_id ?? discussionId(n)) === threadId) : [];
    if (threadId && thread.length === 0) throw errors.notFound('Discussion');
    const text = await commandsIn(ctx, { project, item }, str(ctx.body.body) ?? '');
    if (text.onlyCommands) return { onlyCommands: text.onlyCommands };
    const now = ctx.store.nowIso();
    const note: NoteRecord = {
      id: ctx.store.ids.take('note'),
      body: text.content,
      author_id: principal.user.id,
      created_at: now,
      updated_at: now,
      system: false,
      discussion_id: threadId,
      position,
    };
    item.notes.push(note);
    item.updated_at = now;
    return { project, item, note, thread: [...thread, note] };
  };
  router.post(`${base}/:iid/discussions`, async (ctx) => {
    requireAuth(ctx.principal, 'write');
    const raw = positionParams(ctx.body);
    let position: DiffPosition | undefined;
    if (raw) {
      const { project, item } = find(ctx);
      if (type !== 'MergeRequest') throw errors.badRequest('position is only valid on merge requests');
      position = await checkPosition(project, item as MergeRequestRecord, raw);
    }
    const added = await addNote(ctx, undefined, position);
    if ('onlyCommands' in added) return added.onlyCommands;
    return { status: 201, body: discussion(ctx, added.project, added.item, added.thread) };
  });
  // Resolve or unresolve a thread of line comments.
  router.put(`${base}/:iid/discussions/:discussion_id`, (ctx) => {
    requireAuth(ctx.principal, 'write');
    const { project, item } = find(ctx);
    const thread = item.notes.filter((n) => (n.discussion_id ?? discussionId(n)) === ctx.params.discussion_id);
    if (thread.length === 0) throw errors.notFound('Discussion');
    const resolved = ctx.body.resolved === true || str(ctx.body.resolved) === 'true';
    for (const n of thread) if (n.position) n.resolved = resolved;
    return { body: discussion(ctx, project, item, thread) };
  });
  router.post(`${base}/:iid/discussions/:discussion_id/notes`, async (ctx) => {
    const added = await addNote(ctx, ctx.params.discussion_id);
    if ('onlyCommands' in added) return added.onlyCommands;
    return { status: 201, body: noteOut(ctx, added.project, added.note, added.item) };
  });
  // Editing a note runs the quick actions in its new text too (app/services/notes/update_service.rb);
  // one left with nothing but commands is deleted.
  router.put(`${base}/:iid/notes/:note_id`, async (ctx) => {
    const principal = requireAuth(ctx.principal, 'write');
    const { project, item } = find(ctx);
    const note = item.notes.find((n) => n.id === Number(ctx.params.note_id));
    if (!note) throw errors.notFound('Note');
    if (note.author_id !== principal.user.id) throw errors.forbidden();
    requireParams(ctx, ['body']);
    const text = await commandsIn(ctx, { project, item }, str(ctx.body.body) ?? '');
    if (text.onlyCommands) {
      item.notes.splice(item.notes.indexOf(note), 1);
      return text.onlyCommands;
    }
    note.body = text.content;
    note.updated_at = ctx.store.nowIso();
    return { body: noteOut(ctx, project, note, item) };
  });
}

/** `position` as a JSON object, or as form fields `position[new_line]=…`; undefined when absent. */
function positionParams(body: Record<string, unknown>): Record<string, unknown> | undefined {
  if (body.position && typeof body.position === 'object' && !Array.isArray(body.position))
    return body.position as Record<string, unknown>;
  const fields = Object.entries(body).filter(([k]) => /^position\[\w+\]$/.test(k));
  if (fields.length === 0) return undefined;
  return Object.fromEntries(fields.map(([k, v]) => [k.slice('position['.length, -1), v]));
}

const lineOf = (value: unknown): number | null => {
  if (value === undefined || value === null || value === '') return null;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw errors.badRequest({ position: ['line must be a positive integer'] });
  return n;
};

/**
 * Validates a position the way GitLab does: text only, the shas of the MR's current diff version,
 * and a line of the diff (new_line alone: an added line; old_line alone: a removed line; both: an
 * unchanged line, in a hunk or outside them, which GitLab unfolds). Anything else is GitLab's 400
 * "line_code can't be blank".
 */
async function checkPosition(
  project: ProjectRecord,
  mr: MergeRequestRecord,
  raw: Record<string, unknown>,
): Promise<DiffPosition> {
  const bad = (why: string) =>
    errors.badRequest(`Note {:line_code=>["can't be blank", "must be a valid line code"], :position=>["${why}"]}`);
  if ((str(raw.position_type) ?? 'text') !== 'text')
    throw errors.badRequest({ position: ['only text positions are supported'] });
  const state = await gitState(project, mr);
  const shas = { base_sha: str(raw.base_sha), start_sha: str(raw.start_sha), head_sha: str(raw.head_sha) };
  if (shas.base_sha !== state.baseSha || shas.start_sha !== state.startSha || shas.head_sha !== state.sha)
    throw bad('is incomplete or does not match a diff version');
  const newPath = str(raw.new_path) ?? str(raw.old_path);
  const oldPath = str(raw.old_path) ?? newPath;
  if (!newPath || !oldPath) throw bad('is incomplete');
  const newLine = lineOf(raw.new_line);
  const oldLine = lineOf(raw.old_line);
  if (newLine === null && oldLine === null) throw bad('is incomplete');
  const file = (await repo.diff(project.repo_dir, state.baseSha, state.sha)).find(
    (f) => f.new_path === newPath && f.old_path === oldPath,
  );
  if (!file) throw bad('is not a file of the diff');
  const shown = diffLines(file.diff).some((l) => l.newLine === newLine && l.oldLine === oldLine);
  if (!shown && !(await isUnfoldedLine(project, state.sha, file, oldLine, newLine)))
    throw bad('is not a line of the diff');
  return {
    ...shas,
    base_sha: state.baseSha,
    start_sha: state.startSha,
    head_sha: state.sha,
    position_type: 'text',
    old_path: oldPath,
    new_path: newPath,
    old_line: oldLine,
    new_line: newLine,
    line_range: null,
  };
}

/**
 * An unchanged line outside every hunk, as GitLab takes it after unfolding the diff
 * (DiffNote#unfold_diff_lines): both numbers given, the line exists in the new file, and the old
 * number is the new one shifted by the lines the hunks above it added or removed.
 */
async function isUnfoldedLine(
  project: ProjectRecord,
  headSha: string,
  file: repo.FileDiff,
  oldLine: number | null,
  newLine: number | null,
): Promise<boolean> {
  if (oldLine === null || newLine === null || file.new_file || file.deleted_file) return false;
  const content = await repo.readFile(project.repo_dir, headSha, file.new_path);
  if (content === null) return false;
  const text = content.toString('utf8');
  const lines = text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (newLine > lines) return false;
  let shift = 0;
  for (const hunk of hunksOf(file.diff)) {
    if (newLine >= hunk.newStart && newLine < hunk.newStart + hunk.newLines) return false;
    if (hunk.newStart + hunk.newLines <= newLine) shift += hunk.newLines - hunk.oldLines;
  }
  return oldLine === newLine - shift;
}

function hunksOf(diff: string): Array<{ newStart: number; newLines: number; oldLines: number }> {
  const out: Array<{ newStart: number; newLines: number; oldLines: number }> = [];
  for (const line of diff.split('\n')) {
    const m = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (m)
      out.push({
        oldLines: m[1] === undefined ? 1 : Number(m[1]),
        newStart: Number(m[2]),
        newLines: m[3] === undefined ? 1 : Number(m[3]),
      });
  }
  return out;
}

/** Every line a unified diff shows, with its old and new numbers (null on the side it is missing from). */
function diffLines(diff: string): Array<{ oldLine: number | null; newLine: number | null }> {
  const out: Array<{ oldLine: number | null; newLine: number | null }> = [];
  let oldNo = 0;
  let newNo = 0;
  for (const line of diff.split('\n')) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
    if (hunk) {
      oldNo = Number(hunk[1]);
      newNo = Number(hunk[2]);
    } else if (oldNo === 0 && newNo === 0) {
      continue; // file headers before the first hunk
    } else if (line.startsWith('+')) out.push({ oldLine: null, newLine: newNo++ });
    else if (line.startsWith('-')) out.push({ oldLine: oldNo++, newLine: null });
    else if (line.startsWith(' ')) out.push({ oldLine: oldNo++, newLine: newNo++ });
  }
  return out;
}

/** A stable 40-hex id per thread, derived from its first note. */
function discussionId(first: NoteRecord): string {
  return createHash('sha1').update(`discussion-${first.id}`).digest('hex');
}
