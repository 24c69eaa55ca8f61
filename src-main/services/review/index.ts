import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { reviewContract } from '../../../src-shared/ipc/services/review';
import type { DiffCrossCheck, ReviewApprovals, ReviewFile } from '../../../src-shared/model/review';
import type { RunRecord, RunSpec } from '../../../src-shared/model/run';
import { followUpDraft, followUpSpec } from './follow-up';
import { keptAnswers } from '../../platform/kept-answers';
import type { Logger } from '../../platform/logger';
import type { Mirror, MirrorStore } from '../git/mirror';
import * as actions from './actions';
import { checkoutMergeRequest, checkTargetDir, type ReviewCloner } from './checkout';
import type { ReviewGitLab } from './gitlab-api';
import { createDiffCache, DEFAULT_DIFF_CACHE, type DiffCacheOptions } from './diff-cache';
import { diffFailed } from './git';
import { isObjectId } from '../git/host-git';
import { crossCheck, fetchGitLabChanges, filesFromGitLab, type GitLabChanges } from './gitlab-diff';
import { listReviews } from './list';
import {
  DEFAULT_LIMITS,
  firstPage,
  listChanges,
  localDiff,
  localFileDiff,
  localFileDiffs,
  localPaths,
  type DiffLimits,
} from './local-diff';
import { locateRange, type DiffRange } from './locate';
import {
  fetchApprovals,
  fetchMergeRequest,
  fetchProject,
  fetchSummary,
  toSummary,
  type ApiMergeRequest,
  type ApiProject,
} from './merge-request';
import { addGeneralNote, addLineNote, listNotes } from './notes';
import { displayPath } from './parse';
import { resolvePosition } from './position';

export { reviewGitLabFromAccounts, createReviewGitLab, type ReviewGitLab, type ReviewAccounts } from './gitlab-api';
export { prepareReviewsAhead } from './prepare-ahead';

export interface ReviewDeps {
  runs: {
    /** The run's record (rejects with NOT_FOUND for an unknown id). */
    get(runId: string): Promise<RunRecord>;
    /** Every run's record, for the reviews list (runs.orchestrator.list); without it the list is empty. */
    list?(): Promise<RunRecord[]>;
    /** Starts a run (runs.orchestrator.start); without it askAgent is refused. */
    start?(spec: RunSpec): Promise<RunRecord>;
  };
  /** A GitLab API client acting as one account (see reviewGitLabFromAccounts). */
  gitlabFor(accountId: string): ReviewGitLab;
  logger: Logger;
  /** The app-owned repositories diffs are computed in; a run's workspace is never read (git/mirror.ts). */
  mirrors: MirrorStore;
  /** Clones for checkout(): the git service runs use. */
  git: ReviewCloner;
  /** Test seam: when a file counts as too large to send with the others. */
  limits?: DiffLimits;
  /** Test seam: how merge() waits for GitLab's mergeability check (actions.DEFAULT_MERGE_WAITING). */
  mergeWaiting?: actions.MergeWaiting;
  /** Test seam: how many computed diffs get() keeps (diff-cache.ts). */
  diffCache?: DiffCacheOptions;
}

export interface ReviewService {
  handlers: ServiceHandlers<typeof reviewContract>;
  /** Forgets the diffs get() kept, so the next get() computes its diff again (`npm run bench review` measures both). */
  clearDiffCache(): void;
  /**
   * Computes and keeps the local diff of an MR a run opened or updated, in the background, so the
   * reviewer's first get() answers from it (fetching into the mirror and running git while nobody
   * waits). Never rejects: a failure is logged and get() tries again when asked.
   */
  prepare(target: { runId: string; mrIid: number }): Promise<void>;
}

/** What get() computes locally for one MR: the commits it diffed and the files. */
interface LocalDiff {
  range: DiffRange;
  files: ReviewFile[];
}

/** How long a project read from GitLab is reused (see projectOf). */
const PROJECT_TTL_MS = 30_000;

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
/** A promise that never rejects, so work started early cannot become an unhandled rejection before it is awaited. */
const settle = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
const unsettle = <T>(s: Settled<T>): T => {
  if (s.ok) return s.value;
  throw s.error;
};

interface Context {
  gl: ReviewGitLab;
  project: ApiProject;
  accountId: string;
}

/**
 * Reviewing the MRs a run opened: the diff computed here from what was pushed to GitLab, fetched
 * into the project's app-owned mirror (the run's workspace is the agent's and is never read),
 * GitLab for state and actions.
 */
export function createReviewService(deps: ReviewDeps): ReviewService {
  const log = deps.logger.child({ service: 'review' });
  const limits = deps.limits ?? DEFAULT_LIMITS;
  const diffs = createDiffCache<LocalDiff>(deps.diffCache ?? DEFAULT_DIFF_CACHE);

  // Every call needs the run's project; reading it once per call cost a GitLab round trip each time
  // (opening a review makes several calls at once). Kept briefly, per account and project, so a
  // renamed or re-permissioned project is seen again within seconds; a failed read is not kept.
  const projects = keptAnswers<ApiProject>({ ttlMs: PROJECT_TTL_MS });
  const projectOf = (gl: ReviewGitLab, accountId: string, projectPath: string): Promise<ApiProject> =>
    projects.get(`${accountId}\n${projectPath}`, () => fetchProject(gl, projectPath));

  async function context(runId: string): Promise<Context> {
    const run = await deps.runs.get(runId);
    const gl = deps.gitlabFor(run.spec.accountId);
    const project = await projectOf(gl, run.spec.accountId, run.spec.projectPath);
    return { gl, project, accountId: run.spec.accountId };
  }

  /**
   * The run's context with its MR (and the MR's approvals, when asked), the MR asked for by the
   * project's path alongside the project itself rather than after it (GitLab takes either for
   * `:id`): when the project is not kept, opening a review waits one round trip less, tens of
   * milliseconds over a VPN. An MR of another project (the path renamed or moved between the two
   * answers) is asked for again by the project's id. The project's error comes first.
   */
  async function contextWithMr(
    runId: string,
    mrIid: number,
    options: { approvals?: boolean } = {},
  ): Promise<{ ctx: Context; mr: Promise<ApiMergeRequest>; approvals: Promise<ReviewApprovals | null> }> {
    const run = await deps.runs.get(runId);
    const { accountId, projectPath } = run.spec;
    const gl = deps.gitlabFor(accountId);
    const projectP = projectOf(gl, accountId, projectPath);
    const mrByPath = fetchMergeRequest(gl, projectPath, mrIid);
    const approvalsByPath = options.approvals ? fetchApprovals(gl, projectPath, mrIid) : Promise.resolve(null);
    // Awaited by the caller, after the project: only their order of errors counts.
    mrByPath.catch(() => undefined);
    approvalsByPath.catch(() => undefined);
    const ctx: Context = { gl, project: await projectP, accountId };
    const same = mrByPath.then((mr) => mr.project_id === ctx.project.id);
    const mr = same.then((ok) => (ok ? mrByPath : fetchMergeRequest(gl, ctx.project, mrIid)));
    const approvals = same.then((ok) =>
      ok || !options.approvals ? approvalsByPath : fetchApprovals(gl, ctx.project, mrIid),
    );
    mr.catch(() => undefined);
    approvals.catch(() => undefined);
    return { ctx, mr, approvals };
  }

  /** The project's mirror, or DIFF_UNAVAILABLE (GitLab's diff is shown then) when git is not installed. */
  async function mirrorOf(ctx: Context): Promise<Mirror> {
    if (!(await deps.mirrors.available()))
      throw new CospecError(
        'DIFF_UNAVAILABLE',
        'git is not installed on this computer, so the diff could not be computed locally.',
      );
    return deps.mirrors.open({ accountId: ctx.accountId, projectId: ctx.project.id });
  }

  /**
   * The clone URL on the account's own instance URL. GitLab's http_url_to_repo may name another host
   * (its external_url); the account's token is only ever sent where the user connected the account.
   */
  const cloneUrl = (gl: ReviewGitLab, project: ApiProject) => `${gl.instanceUrl}/${project.path_with_namespace}.git`;

  /** The MR's target and source (a fork's, maybe) clone URLs on the account's instance. */
  async function urls(ctx: Context, mr: ApiMergeRequest): Promise<{ targetUrl: string; sourceUrl: string }> {
    const targetUrl = cloneUrl(ctx.gl, ctx.project);
    const sourceUrl =
      mr.source_project_id !== undefined && mr.source_project_id !== ctx.project.id
        ? cloneUrl(ctx.gl, await fetchProject(ctx.gl, mr.source_project_id))
        : targetUrl;
    return { targetUrl, sourceUrl };
  }

  /** The MR's range, with the mirror it is in; fetches into one mirror never run twice at once (ref locks). */
  async function range(ctx: Context, mr: ApiMergeRequest): Promise<DiffRange & { repo: Mirror }> {
    const { targetUrl, sourceUrl } = await urls(ctx, mr);
    const mirror = await mirrorOf(ctx);
    const r = await mirror.exclusive(() =>
      locateRange({ mirror, mr, targetUrl, sourceUrl, access: () => ctx.gl.gitAccess() }),
    );
    return { ...r, repo: mirror };
  }

  /** GitLab's change list, or undefined (logged) when it cannot be read: the local diff stands alone then. */
  async function remoteChanges(ctx: Context, iid: number): Promise<GitLabChanges | undefined> {
    try {
      return await fetchGitLabChanges(ctx.gl, ctx.project, iid);
    } catch (error) {
      log.warn('could not read the MR changes from GitLab', { iid, error });
      return undefined;
    }
  }

  /** The full diff of one file, locally when possible, else from GitLab. */
  async function oneFile(ctx: Context, mr: ApiMergeRequest, path: string): Promise<ReviewFile> {
    try {
      const r = await range(ctx, mr);
      const file = await localFileDiff(r.repo, r.baseSha, r.headSha, path, limits).catch((error: unknown) => {
        throw diffFailed(error);
      });
      if (file) return file;
    } catch (error) {
      if (!(error instanceof CospecError) || error.code !== 'DIFF_UNAVAILABLE') throw error;
      const remote = await remoteChanges(ctx, mr.iid);
      const file =
        remote &&
        filesFromGitLab(remote).find((f) => displayPath(f) === path || f.oldPath === path || f.newPath === path);
      if (file) return file;
      throw error;
    }
    throw new CospecError('NOT_FOUND', `${path} is not changed in !${mr.iid}.`);
  }

  /** GitLab's diff came whole; past the first page its hunks stay here, as the local diff's do. */
  function deferBeyondFirstPage(files: ReviewFile[]): ReviewFile[] {
    const page = firstPage(
      files.filter((f) => !f.tooLarge && !f.isBinary),
      (f) => f.additions + f.deletions,
      limits,
    );
    return files.map((f) => (f.tooLarge || f.isBinary || page.has(f) ? f : { ...f, hunks: [], deferred: true }));
  }

  /** Several deferred files, locally with one git diff when possible, else from GitLab's diff. */
  async function someFiles(ctx: Context, mr: ApiMergeRequest, paths: string[]): Promise<ReviewFile[]> {
    try {
      const r = await range(ctx, mr);
      return await localFileDiffs(r.repo, r.baseSha, r.headSha, paths, limits).catch((error: unknown) => {
        throw diffFailed(error);
      });
    } catch (error) {
      if (!(error instanceof CospecError) || error.code !== 'DIFF_UNAVAILABLE') throw error;
      const remote = await remoteChanges(ctx, mr.iid);
      if (!remote) throw error;
      const all = filesFromGitLab(remote);
      const found: ReviewFile[] = [];
      for (const path of paths) {
        const file = all.find((f) => displayPath(f) === path || f.oldPath === path || f.newPath === path);
        if (file && !found.includes(file)) found.push(file);
      }
      return found;
    }
  }

  /**
   * The MR's local diff: kept from an earlier get() when GitLab names the same base and head (the
   * MR itself was just read from GitLab as this account, so access is checked on every call),
   * else computed in the mirror, fetching what is missing.
   */
  async function localDiffOf(ctx: Context, mr: ApiMergeRequest): Promise<LocalDiff> {
    const refs = mr.diff_refs;
    // Only object ids reach git: diff_refs are GitLab's answer, put into git's arguments below.
    const pair =
      refs?.base_sha && refs.head_sha && isObjectId(refs.base_sha) && isObjectId(refs.head_sha)
        ? { accountId: ctx.accountId, projectId: ctx.project.id, baseSha: refs.base_sha, headSha: refs.head_sha }
        : undefined;
    const kept = pair && diffs.get(pair);
    if (kept) return kept;
    // Usually the mirror has both commits already. Listing the files of exactly that pair, with both
    // revisions peeled to commits, fails when either is missing, so it is also range()'s check for
    // them: one git process instead of two (each spawn blocks main's event loop while git forks),
    // and no wait for the mirror's lock, which only fetches need. When it fails, range() fetches
    // what is missing (or diffs another pair) and localDiff lists again.
    if (pair) {
      const listed = await settle(
        mirrorOf(ctx).then(async (repo) => ({
          repo,
          listing: await listChanges(repo, `${pair.baseSha}^{commit}`, `${pair.headSha}^{commit}`),
        })),
      );
      if (listed.ok) {
        const { repo, listing } = listed.value;
        const files = await localDiff(repo, pair.baseSha, pair.headSha, limits, listing).catch((error: unknown) => {
          throw diffFailed(error);
        });
        const range = { baseSha: pair.baseSha, headSha: pair.headSha, startSha: refs?.start_sha ?? pair.baseSha };
        const local: LocalDiff = { range, files };
        diffs.set(pair, local);
        return local;
      }
    }
    const r = await range(ctx, mr);
    const files = await localDiff(r.repo, r.baseSha, r.headSha, limits).catch((error: unknown) => {
      throw diffFailed(error);
    });
    const local: LocalDiff = { range: { baseSha: r.baseSha, headSha: r.headSha, startSha: r.startSha }, files };
    // Kept only under the pair it was computed for (locateRange may fall back to a merge base).
    if (pair && r.baseSha === pair.baseSha && r.headSha === pair.headSha) diffs.set(pair, local);
    return local;
  }

  return {
    clearDiffCache: () => diffs.clear(),
    async prepare({ runId, mrIid }) {
      try {
        const { ctx, mr } = await contextWithMr(runId, mrIid);
        const local = await localDiffOf(ctx, await mr);
        log.debug('prepared a review diff', { runId, mrIid, files: local.files.length });
      } catch (error) {
        log.info('could not prepare a review diff ahead', { runId, mrIid, error });
      }
    },
    handlers: {
      async list({ accountId }) {
        const runs = deps.runs.list ? await deps.runs.list() : [];
        return listReviews({ runs, accountId, gitlabFor: deps.gitlabFor, log });
      },

      async checkout({ runId, mrIid, dir }) {
        // A bad folder is refused before anything is asked of GitLab.
        await checkTargetDir(dir);
        const ctx = await context(runId);
        const mr = await fetchMergeRequest(ctx.gl, ctx.project, mrIid);
        const result = await checkoutMergeRequest({
          dir,
          mr,
          ...(await urls(ctx, mr)),
          access: () => ctx.gl.gitAccess(),
          refresh: () => fetchMergeRequest(ctx.gl, ctx.project, mrIid),
          cloner: deps.git,
        });
        log.info('checked out a merge request', { runId, mrIid, head: result.head });
        return result;
      },

      async get({ runId, mrIid }) {
        // The local diff needs only the MR, so it runs while the approvals are read. GitLab's list of
        // changes (as big as the MR, slow to serve) is not waited for: the comparison is crossCheck()'s,
        // and the list is read here only when no local diff can be computed. Errors surface in the
        // sequential order (project, summary, then the local diff).
        const { ctx, mr: mrP, approvals: approvalsP } = await contextWithMr(runId, mrIid, { approvals: true });
        const localP = settle(mrP.then((mr) => localDiffOf(ctx, mr)));
        const mr = await mrP;
        const summary = toSummary(ctx.project, mr, await approvalsP);
        let files: ReviewFile[];
        let source: 'local' | 'gitlab' = 'local';
        let baseSha = mr.diff_refs?.base_sha ?? '';
        let headSha = mr.diff_refs?.head_sha ?? summary.headSha ?? '';
        let check: DiffCrossCheck;
        try {
          const local = await localP.then(unsettle);
          ({ baseSha, headSha } = local.range);
          files = local.files;
          check = {
            checked: false,
            consistent: true,
            onlyLocal: [],
            onlyGitLab: [],
            gitlabOverflow: false,
            pending: true,
          };
        } catch (error) {
          if (!(error instanceof CospecError) || error.code !== 'DIFF_UNAVAILABLE') throw error;
          const remote = await remoteChanges(ctx, mrIid);
          if (!remote) throw error;
          log.warn('showing GitLab’s diff: the local diff could not be computed', { runId, mrIid, error });
          source = 'gitlab';
          files = deferBeyondFirstPage(filesFromGitLab(remote));
          check = {
            checked: false,
            consistent: true,
            onlyLocal: [],
            onlyGitLab: [],
            gitlabOverflow: remote.overflow,
            note: `${error.message} This is GitLab’s diff.`,
          };
        }
        const stats = files.reduce(
          (s, f) => ({
            files: s.files + 1,
            additions: s.additions + f.additions,
            deletions: s.deletions + f.deletions,
          }),
          { files: 0, additions: 0, deletions: 0 },
        );
        return { summary, diff: { source, baseSha, headSha, files, stats, crossCheck: check } };
      },

      async crossCheck({ runId, mrIid }) {
        const ctx = await context(runId);
        const mr = await fetchMergeRequest(ctx.gl, ctx.project, mrIid);
        const remoteP = remoteChanges(ctx, mrIid);
        const unchecked = { checked: false, consistent: true, onlyLocal: [], onlyGitLab: [], gitlabOverflow: false };
        let paths: Array<{ oldPath: string; newPath: string }>;
        try {
          const r = await range(ctx, mr);
          paths = await localPaths(r.repo, r.baseSha, r.headSha).catch((error: unknown) => {
            throw diffFailed(error);
          });
        } catch (error) {
          if (!(error instanceof CospecError) || error.code !== 'DIFF_UNAVAILABLE') throw error;
          await remoteP;
          return { ...unchecked, note: `${error.message} There is no local diff to compare.` };
        }
        const remote = await remoteP;
        return remote
          ? crossCheck(paths, remote)
          : { ...unchecked, note: 'GitLab’s list of changes could not be read to compare.' };
      },

      async fileDiff({ runId, mrIid, path }) {
        const { ctx, mr } = await contextWithMr(runId, mrIid);
        return oneFile(ctx, await mr, path);
      },

      async fileDiffs({ runId, mrIid, paths }) {
        const { ctx, mr } = await contextWithMr(runId, mrIid);
        return someFiles(ctx, await mr, paths);
      },

      async followUpDraft({ runId, mrIid }) {
        const ctx = await context(runId);
        const [parent, mr, notes] = await Promise.all([
          deps.runs.get(runId),
          fetchMergeRequest(ctx.gl, ctx.project, mrIid),
          listNotes(ctx.gl, ctx.project, mrIid),
        ]);
        return followUpDraft(parent, mr, notes);
      },

      async askAgent({ runId, mrIid, task, agent, allow }) {
        if (!deps.runs.start) throw new CospecError('INTERNAL', 'Runs cannot be started from review here.');
        const ctx = await context(runId);
        const parent = await deps.runs.get(runId);
        const mr = await fetchMergeRequest(ctx.gl, ctx.project, mrIid);
        const run = await deps.runs.start(followUpSpec(parent, mr, { task, agent, allow }));
        log.info('started a follow-up run', { runId: run.id, continues: runId, mrIid });
        return run;
      },

      async discussions({ runId, mrIid }) {
        const ctx = await context(runId);
        return listNotes(ctx.gl, ctx.project, mrIid);
      },

      async comment({ runId, mrIid, body, position }) {
        const ctx = await context(runId);
        if (!position) return addGeneralNote(ctx.gl, ctx.project, mrIid, body);
        const mr = await fetchMergeRequest(ctx.gl, ctx.project, mrIid);
        const refs = mr.diff_refs;
        if (!refs?.base_sha || !refs.head_sha) {
          throw new CospecError(
            'DIFF_POSITION_INVALID',
            `GitLab has not computed the diff of !${mrIid} yet, so a line can't be commented on. Comment on the MR instead, or try again shortly.`,
          );
        }
        const file = await oneFile(ctx, mr, position.path);
        const line = resolvePosition(file, position);
        return addLineNote(
          ctx.gl,
          ctx.project,
          mrIid,
          body,
          { baseSha: refs.base_sha, startSha: refs.start_sha ?? refs.base_sha, headSha: refs.head_sha },
          line,
        );
      },

      async summary({ runId, mrIid }) {
        const ctx = await context(runId);
        return (await fetchSummary(ctx.gl, ctx.project, mrIid)).summary;
      },

      async approve({ runId, mrIid }) {
        const ctx = await context(runId);
        return actions.approve(ctx.gl, ctx.project, mrIid);
      },

      async unapprove({ runId, mrIid }) {
        const ctx = await context(runId);
        return actions.unapprove(ctx.gl, ctx.project, mrIid);
      },

      async merge({ runId, mrIid, ...options }) {
        const ctx = await context(runId);
        const summary = await actions.merge(ctx.gl, ctx.project, mrIid, options, deps.mergeWaiting);
        log.info('merged a merge request', { runId, mrIid, state: summary.state });
        return summary;
      },

      async close({ runId, mrIid }) {
        const ctx = await context(runId);
        return actions.close(ctx.gl, ctx.project, mrIid);
      },
    },
  };
}
