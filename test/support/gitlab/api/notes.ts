import { createHash } from 'node:crypto';
import { str } from '../http/body';
import { paginate } from '../http/paginate';
import type { Router } from '../http/router';
import { errors, type Ctx } from '../http/types';
import type { IssueRecord, MergeRequestRecord, NoteRecord, ProjectRecord } from '../model';
import { noteJson } from '../present/work-items';
import { requireAuth } from '../auth';
import { requireParams, sortBy } from './common';

type Noteable = { project: ProjectRecord; item: MergeRequestRecord | IssueRecord };

/** GET/POST {base}/:iid/notes for merge requests and issues (anyone who can see the item may comment). */
export function noteRoutes(router: Router, base: string, type: 'MergeRequest' | 'Issue', find: (ctx: Ctx) => Noteable): void {
  const describe = (item: Noteable['item']) => ({ type, id: item.id, iid: item.iid });
  router.get(`${base}/:iid/notes`, (ctx) => {
    const { project, item } = find(ctx);
    const ordered = sortBy(item.notes, (n) => (ctx.query.get('order_by') === 'updated_at' ? n.updated_at : n.created_at) + String(n.id).padStart(9, '0'), ctx.query.get('sort'));
    return paginate(ctx, ordered.map((n) => noteJson(ctx.store, project, n, describe(item), ctx.baseUrl)));
  });
  router.get(`${base}/:iid/notes/:note_id`, (ctx) => {
    const { project, item } = find(ctx);
    const note = item.notes.find((n) => n.id === Number(ctx.params.note_id));
    if (!note) throw errors.notFound('Note');
    return { body: noteJson(ctx.store, project, note, describe(item), ctx.baseUrl) };
  });
  router.post(`${base}/:iid/notes`, (ctx) => {
    const principal = requireAuth(ctx.principal, 'write');
    const { project, item } = find(ctx);
    requireParams(ctx, ['body']);
    const now = ctx.store.nowIso();
    const note: NoteRecord = { id: ctx.store.ids.take('note'), body: str(ctx.body.body) ?? '', author_id: principal.user.id, created_at: now, updated_at: now, system: false };
    item.notes.push(note);
    item.updated_at = now;
    return { status: 201, body: noteJson(ctx.store, project, note, describe(item), ctx.baseUrl) };
  });

  // Discussions: every stand-in note is its own (individual) discussion, replies append to it.
  const discussion = (ctx: Ctx, project: ProjectRecord, item: Noteable['item'], notes: NoteRecord[]) => ({
    id: discussionId(notes[0]!),
    individual_note: notes.length === 1,
    notes: notes.map((n) => noteJson(ctx.store, project, n, describe(item), ctx.baseUrl)),
  });
  router.get(`${base}/:iid/discussions`, (ctx) => {
    const { project, item } = find(ctx);
    const threads = new Map<string, NoteRecord[]>();
    for (const n of item.notes) {
      const key = n.discussion_id ?? discussionId(n);
      threads.set(key, [...(threads.get(key) ?? []), n]);
    }
    return paginate(ctx, [...threads.values()].map((notes) => discussion(ctx, project, item, notes)));
  });
  const addNote = (ctx: Ctx, threadId?: string) => {
    const principal = requireAuth(ctx.principal, 'write');
    const { project, item } = find(ctx);
    requireParams(ctx, ['body']);
    const thread = threadId ? item.notes.filter((n) => (n.discussion_id ?? discussionId(n)) === threadId) : [];
    if (threadId && thread.length === 0) throw errors.notFound('Discussion');
    const now = ctx.store.nowIso();
    const note: NoteRecord = { id: ctx.store.ids.take('note'), body: str(ctx.body.body) ?? '', author_id: principal.user.id, created_at: now, updated_at: now, system: false, discussion_id: threadId };
    item.notes.push(note);
    item.updated_at = now;
    return { project, item, note, thread: [...thread, note] };
  };
  router.post(`${base}/:iid/discussions`, (ctx) => {
    const { project, item, thread } = addNote(ctx);
    return { status: 201, body: discussion(ctx, project, item, thread) };
  });
  router.post(`${base}/:iid/discussions/:discussion_id/notes`, (ctx) => {
    const { project, item, note } = addNote(ctx, ctx.params.discussion_id);
    return { status: 201, body: noteJson(ctx.store, project, note, describe(item), ctx.baseUrl) };
  });
}

/** A stable 40-hex id per thread, derived from its first note. */
function discussionId(first: NoteRecord): string {
  return createHash('sha1').update(`discussion-${first.id}`).digest('hex');
}
