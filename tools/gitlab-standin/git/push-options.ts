import { preparing } from '../api/mergeability';
import * as repo from './repo';
import type { MergeRequestRecord, ProjectRecord } from '../model';
import type { Store } from '../store';

/**
 * Git push options as GitLab acts on them (doc "Push options"; lib/gitlab/push_options.rb and
 * app/services/merge_requests/push_options_handler_service.rb): `ci.skip` and `ci.variable` shape
 * the pipeline the push would start (the stand-in has no CI, so it remembers them per push as
 * `pushEvents`), `merge_request.*` create or update the open merge request of each pushed branch
 * after the push, as the PostReceive worker does.
 */

/** The options GitLab knows (Gitlab::PushOptions::VALID_OPTIONS); others are ignored, as GitLab ignores them. */
const VALID: Record<string, { keys: string[]; multi: string[] }> = {
  merge_request: {
    keys: [
      'assign',
      'auto_merge',
      'create',
      'description',
      'draft',
      'label',
      'merge_when_pipeline_succeeds',
      'milestone',
      'remove_source_branch',
      'target',
      'title',
      'unassign',
      'unlabel',
    ],
    multi: ['assign', 'label', 'unassign', 'unlabel'],
  },
  ci: { keys: ['skip', 'variable'], multi: ['variable'] },
  integrations: { keys: ['skip_ci'], multi: [] },
  secret_detection: { keys: ['skip_all'], multi: [] },
};
const ALIASES: Record<string, string> = { mr: 'merge_request' };

export type ParsedPushOptions = Record<string, Record<string, string | true | Record<string, true>>>;

/** Parses `namespace.key[=value]` options the way Gitlab::PushOptions does. */
export function parsePushOptions(options: readonly string[]): ParsedPushOptions {
  const out: ParsedPushOptions = {};
  for (const option of options) {
    const m = /^([^.=]+)\.([^=]+)(?:=(.*))?$/s.exec(option);
    if (!m) continue;
    const namespace = ALIASES[m[1]!] ?? m[1]!;
    const key = m[2]!;
    const spec = VALID[namespace];
    if (!spec || !spec.keys.includes(key)) continue;
    const value: string | true = m[3] === undefined ? true : m[3];
    const ns = (out[namespace] ??= {});
    if (spec.multi.includes(key)) {
      const bag = (ns[key] && typeof ns[key] === 'object' ? ns[key] : {}) as Record<string, true>;
      if (typeof value === 'string') bag[value] = true;
      ns[key] = bag;
    } else ns[key] = value;
  }
  return out;
}

export interface PushedRefUpdate {
  ref: string;
  before: string;
  after: string;
}

/** What one push told GitLab, kept per push: what its branch pipeline would have been. */
export interface PushEvent {
  at: string;
  userId: number;
  refs: PushedRefUpdate[];
  options: string[];
  /** ci.skip: no pipeline for this push. */
  ciSkip: boolean;
  /** ci.variable="NAME=value": variables the branch pipeline would get. */
  ciVariables: Record<string, string>;
  /** Errors GitLab reports for merge_request.* options (it prints them, the push itself stands). */
  errors: string[];
}

const ZERO = /^0+$/;
/** MergeRequests::PushOptionsHandlerService::LIMIT */
const BRANCH_LIMIT = 10;

const truthy = (v: unknown) => v === true || (typeof v === 'string' && v !== 'false' && v !== '0');

/** Acts on one push's options after the refs were updated; returns the event to remember. */
export async function applyPushOptions(
  store: Store,
  project: ProjectRecord,
  userId: number,
  refs: PushedRefUpdate[],
  options: string[],
): Promise<PushEvent> {
  const parsed = parsePushOptions(options);
  const ci = parsed.ci ?? {};
  const ciVariables: Record<string, string> = {};
  for (const pair of Object.keys((ci.variable as Record<string, true> | undefined) ?? {})) {
    const eq = pair.indexOf('=');
    if (eq > 0) ciVariables[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const event: PushEvent = {
    at: store.nowIso(),
    userId,
    refs,
    options: [...options],
    ciSkip: ci.skip !== undefined,
    ciVariables,
    errors: [],
  };
  const mr = parsed.merge_request;
  if (mr) event.errors = await handleMergeRequestOptions(store, project, userId, refs, mr);
  return event;
}

async function handleMergeRequestOptions(
  store: Store,
  project: ProjectRecord,
  userId: number,
  refs: PushedRefUpdate[],
  opts: ParsedPushOptions[string],
): Promise<string[]> {
  const errors: string[] = [];
  const branches = refs
    .filter((r) => r.ref.startsWith('refs/heads/') && !ZERO.test(r.after))
    .map((r) => ({ name: r.ref.slice('refs/heads/'.length), sha: r.after }))
    .filter((b) => b.name !== project.default_branch);
  if (branches.length > BRANCH_LIMIT)
    errors.push(`Too many branches pushed (${branches.length} were pushed, limit is ${BRANCH_LIMIT})`);
  const target = typeof opts.target === 'string' ? opts.target : undefined;
  if (target !== undefined && !(await repo.revParse(project.repo_dir, `refs/heads/${target}`)))
    errors.push(`Target branch ${project.group.path}/${project.path}:${target} does not exist`);
  if (errors.length) return errors;

  const labels = (key: string) => Object.keys((opts[key] as Record<string, true> | undefined) ?? {});
  const mwps = opts.merge_when_pipeline_succeeds ?? opts.auto_merge;
  for (const branch of branches) {
    const open = project.merge_requests.find((m) => m.state === 'opened' && m.source_branch === branch.name);
    if (open) {
      if (typeof opts.title === 'string') open.title = opts.title;
      if (typeof opts.description === 'string') open.description = opts.description.replace(/\\n/g, '\n');
      if (target !== undefined) open.target_branch = target;
      if (opts.draft !== undefined) open.draft = truthy(opts.draft);
      if (opts.remove_source_branch !== undefined) open.remove_source_branch = truthy(opts.remove_source_branch);
      open.labels = [...new Set([...open.labels, ...labels('label')])].filter((l) => !labels('unlabel').includes(l));
      if (mwps !== undefined) setAutoMerge(open, truthy(mwps), userId);
      open.updated_at = store.nowIso();
      continue;
    }
    if (opts.create === undefined) {
      errors.push(`A merge_request.create push option is required to create a merge request for branch ${branch.name}`);
      continue;
    }
    const into = target ?? project.default_branch ?? branch.name;
    if (into === branch.name) {
      errors.push("You can't use same project/branch for source and target");
      continue;
    }
    const title = typeof opts.title === 'string' ? opts.title : await defaultTitle(project, into, branch.name);
    const now = store.nowIso();
    const record: MergeRequestRecord = {
      id: store.ids.take('merge_request'),
      iid: project.merge_requests.length + 1,
      project_id: project.id,
      title,
      description: typeof opts.description === 'string' ? opts.description.replace(/\\n/g, '\n') : '',
      state: 'opened',
      source_branch: branch.name,
      target_branch: into,
      author_id: userId,
      // GitLab assigns the pusher to a merge request created by push options.
      assignee_ids: [userId],
      reviewer_ids: [],
      labels: labels('label'),
      draft: opts.draft !== undefined && truthy(opts.draft),
      remove_source_branch: opts.remove_source_branch !== undefined && truthy(opts.remove_source_branch),
      created_at: now,
      updated_at: now,
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
      target_sha_seen: await repo.revParse(project.repo_dir, `refs/heads/${into}`),
    };
    if (mwps !== undefined) setAutoMerge(record, truthy(mwps), userId);
    project.merge_requests.push(record);
    project.last_activity_at = now;
  }
  return errors;
}

function setAutoMerge(mr: MergeRequestRecord, on: boolean, userId: number): void {
  mr.merge_when_pipeline_succeeds = on;
  mr.merge_user_id = on ? userId : null;
}

/** MergeRequests::BuildService: a single commit's subject, else the branch name made readable. */
async function defaultTitle(project: ProjectRecord, target: string, source: string): Promise<string> {
  const list = await repo.commits(project.repo_dir, [`refs/heads/${target}..refs/heads/${source}`], { maxCount: 2 });
  if (list.length === 1) return list[0]!.message.split('\n')[0]!.trim();
  const words = source.replace(/[-_]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
