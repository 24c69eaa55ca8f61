import * as repo from '../git/repo';
import { str } from '../http/body';
import type { Ctx } from '../http/types';
import { ACCESS, type IssueRecord, type MergeRequestRecord, type ProjectRecord, type UserRecord } from '../model';

/**
 * Quick actions as GitLab runs them (lib/gitlab/quick_actions/extractor.rb and the
 * *_actions.rb definitions, app/services/notes/create_service.rb, issuable_base_service.rb):
 * a line `/name [argument]` outside code blocks, inline code, HTML blocks and `>>>` quotes, in a
 * note (created or edited) or in the description of an issue or merge request (on create, and on
 * update for the commands the old description did not already hold). Every known command is
 * removed from the text whether or not it can run; one that can run changes the item. A note made
 * only of commands is not saved: the API answers 202 with `{commands_changes, summary}`.
 */

/** Every command name GitLab's issue and merge request quick actions know (aliases included). */
export const COMMAND_NAMES = [
  'approve',
  'assign',
  'assign_reviewer',
  'award',
  'clone',
  'close',
  'confidential',
  'copy_metadata',
  'create_merge_request',
  'done',
  'draft',
  'due',
  'duplicate',
  'estimate',
  'estimate_time',
  'label',
  'labels',
  'lock',
  'merge',
  'milestone',
  'move',
  'react',
  'ready',
  'rebase',
  'relabel',
  'relate',
  'remove_due_date',
  'remove_estimate',
  'remove_label',
  'remove_milestone',
  'remove_reviewer',
  'remove_time_estimate',
  'remove_time_spent',
  'reopen',
  'request_review',
  'reviewer',
  'severity',
  'spend',
  'spend_time',
  'spent',
  'submit_review',
  'subscribe',
  'target_branch',
  'title',
  'todo',
  'unapprove',
  'unassign',
  'unassign_reviewer',
  'unlabel',
  'unlock',
  'unsubscribe',
] as const;

/** Substitutions replace their line with text instead of acting. */
const SUBSTITUTIONS: Record<string, string> = { shrug: '¯\\＿(ツ)＿/¯', tableflip: '(╯°□°)╯︵ ┻━┻' };

export interface QuickCommand {
  name: string;
  arg?: string;
}

// The extractor's regular expression, in JavaScript terms: Ruby's /m is JavaScript's /s, and
// Ruby's ^ and $ always match at line boundaries (JavaScript's /m).
const byLength = (names: readonly string[]) => [...names].sort((a, b) => b.length - a.length).join('|');
const COMMANDS_REGEX = new RegExp(
  [
    '(?<code>^```.+?\\n```$)',
    '|(?<inline>`.+?`)',
    '|(?<html>^<[^>]+?>\\n.+?\\n<\\/[^>]+?>$)',
    '|(?<quote>^>>>.+?\\n>>>$)',
    `|(?:^\\/(?<cmd>${byLength(COMMAND_NAMES)})(?:[ ](?<arg>[^\\n]*))?(?:[ \\t\\n\\f\\v]*\\n|$))`,
    `|(?:^\\/(?<sub>${byLength(Object.keys(SUBSTITUTIONS))})(?:[ ](?<subarg>[^\\n]*))?(?:[ \\t\\n\\f\\v]*\\n|$))`,
  ].join(''),
  'gmsi',
);

/** The text without its commands (trailing whitespace removed, as GitLab does) and the commands in order. */
export function extractCommands(text: string): { content: string; commands: QuickCommand[] } {
  const commands: QuickCommand[] = [];
  const content = text.replace(/\r/g, '').replace(COMMANDS_REGEX, (whole, ...rest) => {
    const groups = rest[rest.length - 1] as Record<string, string | undefined>;
    if (groups.cmd) {
      const arg = groups.arg?.trim();
      commands.push({ name: groups.cmd.toLowerCase(), ...(arg ? { arg } : {}) });
      return '';
    }
    if (groups.sub) {
      const name = groups.sub.toLowerCase();
      const arg = groups.subarg?.trim();
      commands.push({ name, ...(arg ? { arg } : {}) });
      return `${arg ? `${arg} ` : ''}${SUBSTITUTIONS[name]}${whole.endsWith('\n') ? '\n' : ''}`;
    }
    return whole;
  });
  return { content: content.trimEnd(), commands };
}

export type QuickTarget =
  | { kind: 'issue'; project: ProjectRecord; item: IssueRecord; persisted: boolean }
  | { kind: 'merge_request'; project: ProjectRecord; item: MergeRequestRecord; persisted: boolean };

export interface QuickResult {
  /** GitLab's `commands_changes`: the update parameters the commands produced. */
  changes: Record<string, unknown>;
  /** GitLab's `summary`: one execution message per command that ran. */
  messages: string[];
}

/** Merges a merge request as PUT …/merge does; provided by merge-requests.ts to keep one merge path. */
export type MergeFn = (ctx: Ctx, project: ProjectRecord, mr: MergeRequestRecord) => Promise<void>;

/** `~a ~"b c" d` → ['a', 'b c', 'd'] */
function labelNames(arg: string | undefined): string[] {
  if (!arg) return [];
  return [...arg.matchAll(/~?"([^"]+)"|~?([^\s~"]+)/g)].map((m) => (m[1] ?? m[2] ?? '').trim()).filter(Boolean);
}

/** `@alice @bob me` → users (GitLab's UsersExtractor: unknown names make the command fail). */
function users(ctx: Ctx, arg: string | undefined): UserRecord[] | undefined {
  const names = (arg ?? '').split(/[\s,]+/).filter((s) => s && s !== 'and');
  const out: UserRecord[] = [];
  for (const name of names) {
    const user = name === 'me' ? ctx.principal?.user : ctx.store.userByName(name.replace(/^@/, ''));
    if (!user) return undefined;
    out.push(user);
  }
  return out;
}

/**
 * Runs the commands on the target with the caller's rights, as GitLab's conditions allow them:
 * most need an existing item (a note, an edited description); on a new item's description only
 * /label, /assign, /target_branch and /draft act. Commands the stand-in does not model are removed
 * from the text and do nothing (listed in tools/gitlab-standin/README.md).
 */
export async function applyCommands(
  ctx: Ctx,
  target: QuickTarget,
  commands: QuickCommand[],
  merge: MergeFn,
): Promise<QuickResult> {
  const changes: Record<string, unknown> = {};
  const messages: string[] = [];
  const user = ctx.principal?.user;
  if (!user) return { changes, messages };
  const { project, item, persisted } = target;
  const level = ctx.store.accessLevel(user, project);
  const canUpdate = level >= ACCESS.reporter || item.author_id === user.id;
  const canSetMetadata = level >= ACCESS.reporter;
  const now = ctx.store.nowIso();
  const noun = target.kind === 'issue' ? 'issue' : 'merge request';
  for (const { name, arg } of commands) {
    switch (name) {
      case 'close':
        if (persisted && item.state === 'opened' && canUpdate) {
          Object.assign(item, { state: 'closed', closed_at: now, closed_by_id: user.id });
          if (target.kind === 'merge_request')
            target.item.frozen_sha = await repo.revParse(project.repo_dir, `refs/heads/${target.item.source_branch}`);
          changes.state_event = 'close';
          messages.push(`Closed this ${noun}.`);
        }
        break;
      case 'reopen':
        if (persisted && item.state === 'closed' && canUpdate) {
          Object.assign(item, { state: 'opened', closed_at: null, closed_by_id: null });
          if (target.kind === 'merge_request') target.item.frozen_sha = null;
          changes.state_event = 'reopen';
          messages.push(`Reopened this ${noun}.`);
        }
        break;
      case 'title':
        if (persisted && canUpdate && arg) {
          item.title = arg;
          changes.title = arg;
          messages.push(`Changed the title to "${arg}".`);
        }
        break;
      case 'label':
      case 'labels':
      case 'relabel': {
        const names = labelNames(arg);
        if (!canSetMetadata || names.length === 0 || (name === 'relabel' && (!persisted || item.labels.length === 0)))
          break;
        item.labels = name === 'relabel' ? names : [...new Set([...item.labels, ...names])];
        changes[name === 'relabel' ? 'label_ids' : 'add_label_ids'] = names;
        messages.push(
          `${name === 'relabel' ? 'Replaced all labels with' : 'Added'} ${names.map((n) => `~"${n}"`).join(' ')} label${names.length > 1 ? 's' : ''}.`,
        );
        break;
      }
      case 'unlabel':
      case 'remove_label': {
        if (!persisted || !canSetMetadata || item.labels.length === 0) break;
        const names = labelNames(arg);
        item.labels = names.length ? item.labels.filter((l) => !names.includes(l)) : [];
        changes[names.length ? 'remove_label_ids' : 'label_ids'] = names;
        messages.push(
          names.length ? `Removed ${names.map((n) => `~"${n}"`).join(' ')} labels.` : 'Removed all labels.',
        );
        break;
      }
      case 'assign': {
        const found = users(ctx, arg);
        if (!canSetMetadata || !found || found.length === 0) {
          messages.push('Failed to assign a user because no user was found.');
          break;
        }
        item.assignee_ids = [...new Set([...item.assignee_ids, ...found.map((u) => u.id)])];
        changes.assignee_ids = item.assignee_ids;
        messages.push(`Assigned ${found.map((u) => `@${u.username}`).join(' and ')}.`);
        break;
      }
      case 'unassign': {
        if (!persisted || !canSetMetadata || item.assignee_ids.length === 0) break;
        const found = users(ctx, arg) ?? [];
        item.assignee_ids = found.length ? item.assignee_ids.filter((id) => !found.some((u) => u.id === id)) : [];
        changes.assignee_ids = item.assignee_ids;
        messages.push('Removed assignees.');
        break;
      }
      case 'target_branch':
        if (target.kind === 'merge_request' && arg && (canUpdate || !persisted)) {
          if (await repo.revParse(project.repo_dir, `refs/heads/${arg}`)) {
            target.item.target_branch = arg;
            changes.target_branch = arg;
          }
          messages.push(`Set target branch to ${arg}.`);
        }
        break;
      case 'draft':
        if (target.kind === 'merge_request' && (canUpdate || !persisted)) {
          target.item.draft = !target.item.draft;
          changes.wip_event = target.item.draft ? 'wip' : 'unwip';
          messages.push(`${target.item.draft ? 'Marked' : 'Unmarked'} this merge request as a draft.`);
        }
        break;
      case 'ready':
        if (target.kind === 'merge_request' && target.item.draft && (canUpdate || !persisted)) {
          target.item.draft = false;
          changes.wip_event = 'ready';
          messages.push('Marked this merge request as ready.');
        }
        break;
      case 'confidential':
        if (target.kind === 'issue' && !target.item.confidential && canUpdate) {
          target.item.confidential = true;
          changes.confidential = true;
          messages.push('Made this issue confidential.');
        }
        break;
      case 'assign_reviewer':
      case 'reviewer':
      case 'request_review': {
        const found = users(ctx, arg);
        if (target.kind !== 'merge_request' || level < ACCESS.developer) break;
        if (!found || found.length === 0) {
          messages.push('Failed to assign a reviewer because no user was found.');
          break;
        }
        target.item.reviewer_ids = [...new Set([...target.item.reviewer_ids, ...found.map((u) => u.id)])];
        changes.reviewer_ids = target.item.reviewer_ids;
        messages.push(
          `Assigned ${found.map((u) => `@${u.username}`).join(' and ')} as reviewer${found.length > 1 ? 's' : ''}.`,
        );
        break;
      }
      case 'unassign_reviewer':
      case 'remove_reviewer': {
        if (target.kind !== 'merge_request' || !persisted || level < ACCESS.developer) break;
        if (target.item.reviewer_ids.length === 0) break;
        const found = users(ctx, arg) ?? [];
        target.item.reviewer_ids = found.length
          ? target.item.reviewer_ids.filter((id) => !found.some((u) => u.id === id))
          : [];
        changes.reviewer_ids = target.item.reviewer_ids;
        messages.push('Removed reviewers.');
        break;
      }
      case 'approve':
        if (
          target.kind === 'merge_request' &&
          persisted &&
          level >= ACCESS.developer &&
          target.item.state === 'opened' &&
          !target.item.approved_by_ids.includes(user.id)
        ) {
          target.item.approved_by_ids.push(user.id);
          messages.push('Approved the current merge request.');
        }
        break;
      case 'unapprove':
        if (target.kind === 'merge_request' && persisted && target.item.approved_by_ids.includes(user.id)) {
          target.item.approved_by_ids = target.item.approved_by_ids.filter((id) => id !== user.id);
          messages.push('Unapproved the current merge request.');
        }
        break;
      case 'merge':
        if (target.kind === 'merge_request' && persisted && target.item.state === 'opened' && !target.item.draft) {
          const protection = ctx.store.protectionFor(project, target.item.target_branch);
          if (level >= (protection?.merge_access_level ?? ACCESS.developer)) {
            try {
              await merge(ctx, project, target.item);
              // GitLab's update is the diff head sha the client passed (merge_request_diff_head_sha), or null.
              changes.merge = str(ctx.body.merge_request_diff_head_sha) ?? null;
              messages.push('Merged this merge request.');
            } catch {
              messages.push('Could not apply merge command.');
            }
          }
        }
        break;
      case 'move':
      case 'clone':
        if (target.kind === 'issue' && persisted && arg) {
          const copy = copyIssue(ctx, target.item, arg.replace(/^--with_notes\s+/, '').trim(), user);
          if (copy) {
            if (name === 'move') {
              Object.assign(target.item, { state: 'closed', closed_at: now, closed_by_id: user.id });
              target.item.moved_to_id = copy.id;
            }
            changes[name === 'move' ? 'target_project' : 'target_clone_project'] = copy.project_id;
            messages.push(`${name === 'move' ? 'Moved' : 'Cloned'} this issue to ${arg}.`);
          }
        }
        break;
      default:
        break; // known to GitLab, not modelled here: removed from the text, no effect
    }
  }
  if (Object.keys(changes).length > 0 || messages.length > 0) item.updated_at = now;
  return { changes, messages };
}

/** /move and /clone: a copy of the issue in a project where the user may create issues. */
function copyIssue(ctx: Ctx, issue: IssueRecord, path: string, user: UserRecord): IssueRecord | undefined {
  const to = ctx.store.projectByRef(path);
  if (!to || !ctx.store.canSee(user, to) || ctx.store.accessLevel(user, to) < ACCESS.reporter) return undefined;
  const now = ctx.store.nowIso();
  const copy: IssueRecord = {
    ...issue,
    id: ctx.store.ids.take('issue'),
    iid: to.issues.length + 1,
    project_id: to.id,
    state: 'opened',
    closed_at: null,
    closed_by_id: null,
    moved_to_id: null,
    created_at: now,
    updated_at: now,
    labels: [...issue.labels],
    assignee_ids: [...issue.assignee_ids],
    notes: [],
  };
  to.issues.push(copy);
  return copy;
}

/**
 * A description with its commands run on `target` (GitLab's merge_quick_actions_into_params!):
 * all of them for a new item, on an edit only those the old description did not hold.
 */
export async function runDescriptionCommands(
  ctx: Ctx,
  target: QuickTarget,
  description: string,
  merge: MergeFn,
): Promise<string> {
  const { content, commands } = extractCommands(description);
  const run = target.persisted ? newCommands(target.item.description, description) : commands;
  if (run.length > 0) await applyCommands(ctx, target, run, merge);
  return commands.length > 0 ? content : description;
}

/** Commands a description edit adds (GitLab runs only those the old description did not hold). */
export function newCommands(before: string, after: string): QuickCommand[] {
  const old = new Set(extractCommands(before).commands.map((c) => `${c.name} ${c.arg ?? ''}`));
  return extractCommands(after).commands.filter((c) => !old.has(`${c.name} ${c.arg ?? ''}`));
}

/** GitLab's NoteCommands entity: the 202 body for a note made only of commands. */
export function commandsOnlyBody(result: QuickResult): {
  commands_changes: Record<string, unknown>;
  summary: string[];
} {
  return { commands_changes: result.changes, summary: result.messages };
}
