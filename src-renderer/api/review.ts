import { useEffect } from 'react';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type {
  AskAgentInput,
  CommentInput,
  DiffCrossCheck,
  MergeInput,
  MergeRequestReview,
  MergeRequestSummary,
  ReviewFile,
  ReviewNote,
  ReviewTarget,
} from '../../src-shared/model/review';
import { callEarlyOr, cospec } from './client';

export type { MergeRequestReview, MergeRequestSummary, ReviewNote, ReviewTarget };

const reviewKey = (t: ReviewTarget) => ['review', t.runId, t.mrIid] as const;
const discussionsKey = (t: ReviewTarget) => ['review', t.runId, t.mrIid, 'discussions'] as const;
const fileKey = (t: ReviewTarget, path: string) => ['review', t.runId, t.mrIid, 'file', path] as const;

/** Replaces the summary of a loaded review after an action (approve, merge …) returned the new one. */
function storeSummary(client: QueryClient, target: ReviewTarget, summary: MergeRequestSummary): void {
  client.setQueryData<MergeRequestReview>(reviewKey(target), (review) => (review ? { ...review, summary } : review));
  // The run's outputs show the MR's state; have them read again.
  void client.invalidateQueries({ queryKey: ['runs'] });
}

/** One owner for the review query, so a cold start's prefetch (app/preload.ts) fills what useReview reads. */
function reviewQuery(target: ReviewTarget) {
  return {
    queryKey: reviewKey(target),
    queryFn: () => callEarlyOr('review', 'get', [target], () => cospec().review.get(target)),
    // Computing a diff is work for main; keep it until the user asks again.
    staleTime: 5 * 60_000,
  };
}

/** The MR's summary (approvals, merge status, pipeline) and its diff, computed locally by main. */
export function useReview(target: ReviewTarget) {
  return useQuery(reviewQuery(target));
}

/** Asks main for a review before its screen is mounted (errors surface when useReview reads it). */
export function prefetchReview(client: QueryClient, target: ReviewTarget): Promise<void> {
  return client.prefetchQuery(reviewQuery(target));
}

/** The full diff of one file that get() left out as too large; loaded only when the user opens it. */
export function useFileDiff(target: ReviewTarget, path: string, enabled: boolean) {
  return useQuery({
    queryKey: fileKey(target, path),
    queryFn: () => cospec().review.fileDiff({ ...target, path }),
    enabled,
    staleTime: Infinity,
  });
}

/** fileDiffs takes at most this many paths a call. */
const BATCH_MAX = 100;

/**
 * Collects the deferred files asked for in the same moment (the files that came into view
 * together mount together) into one fileDiffs call per MR, so main runs one git diff for them.
 */
function createFileBatcher() {
  const pending = new Map<
    string,
    {
      target: ReviewTarget;
      waiting: Map<string, Array<{ resolve: (f: ReviewFile) => void; reject: (e: unknown) => void }>>;
    }
  >();
  let timer: ReturnType<typeof setTimeout> | undefined;

  function flush(): void {
    timer = undefined;
    const batches = [...pending.values()];
    pending.clear();
    for (const { target, waiting } of batches) {
      const paths = [...waiting.keys()];
      for (let i = 0; i < paths.length; i += BATCH_MAX) {
        const chunk = paths.slice(i, i + BATCH_MAX);
        // A throw before the call (no bridge) must reject the waiting files too, not leave them pending.
        Promise.resolve()
          .then(() => cospec().review.fileDiffs({ ...target, paths: chunk }))
          .then(
            (files) => {
              for (const path of chunk) {
                const file = files.find((f) => f.newPath === path || f.oldPath === path);
                for (const w of waiting.get(path) ?? []) {
                  if (file) w.resolve(file);
                  else w.reject(new Error(`${path} is no longer changed in this merge request; refresh the review.`));
                }
              }
            },
            (error: unknown) => chunk.forEach((path) => waiting.get(path)?.forEach((w) => w.reject(error))),
          );
      }
    }
  }

  return (target: ReviewTarget, path: string): Promise<ReviewFile> =>
    new Promise((resolve, reject) => {
      const key = `${target.runId}\n${target.mrIid}`;
      const batch = pending.get(key) ?? { target, waiting: new Map() };
      pending.set(key, batch);
      batch.waiting.set(path, [...(batch.waiting.get(path) ?? []), { resolve, reject }]);
      // A short wait gathers the files mounted by the same scroll frame (and the overscan around them).
      timer ??= setTimeout(flush, 16);
    });
}

const loadDeferred = createFileBatcher();

/**
 * A file get() deferred: its hunks, fetched with the others in view in one batch, kept for the
 * session. `version` tells one diff of the path from another (its blob ids and counts), so a
 * review refreshed after the branch moved does not show the hunks cached for the old head.
 */
export function useDeferredFile(target: ReviewTarget, path: string, version: string, enabled: boolean) {
  return useQuery({
    queryKey: [...fileKey(target, path), 'deferred', version] as const,
    queryFn: () => loadDeferred(target, path),
    enabled,
    staleTime: Infinity,
  });
}

/**
 * The comparison of the local diff with GitLab's list of changes, when get() left it pending
 * (it does not wait for that list); `given` is get()'s own answer, used when it is final.
 */
export function useCrossCheck(target: ReviewTarget, given: DiffCrossCheck) {
  const asked = useQuery({
    queryKey: [...reviewKey(target), 'cross-check'] as const,
    queryFn: () => cospec().review.crossCheck(target),
    enabled: given.pending === true,
    staleTime: 5 * 60_000,
  });
  return given.pending ? asked.data : given;
}

/** The MR's comments, oldest first. */
export function useDiscussions(target: ReviewTarget) {
  return useQuery({ queryKey: discussionsKey(target), queryFn: () => cospec().review.discussions(target) });
}

/** Adds a general comment, or one on a line when `position` is given. */
export function useComment(target: ReviewTarget) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: Omit<CommentInput, 'runId' | 'mrIid'>) => cospec().review.comment({ ...target, ...input }),
    onSuccess: (note) => {
      client.setQueryData<ReviewNote[]>(discussionsKey(target), (notes) => (notes ? [...notes, note] : [note]));
    },
  });
}

function useSummaryAction<A>(target: ReviewTarget, call: (arg: A) => Promise<MergeRequestSummary>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: (summary) => storeSummary(client, target, summary),
    // GitLab adds a system note for approvals and merges.
    onSettled: () => client.invalidateQueries({ queryKey: discussionsKey(target) }),
  });
}

export function useApprove(target: ReviewTarget) {
  return useSummaryAction(target, () => cospec().review.approve(target));
}

export function useUnapprove(target: ReviewTarget) {
  return useSummaryAction(target, () => cospec().review.unapprove(target));
}

/** Merges with the options chosen in the confirmation; `sha` pins what was reviewed. */
export function useMerge(target: ReviewTarget) {
  return useSummaryAction(target, (options: Omit<MergeInput, 'runId' | 'mrIid'>) =>
    cospec().review.merge({ ...target, ...options }),
  );
}

/** How often the summary is read again while GitLab checks mergeability (its background job takes seconds). */
const CHECKING_POLL_MS = 1_500;

/**
 * While GitLab is still working out whether the MR can be merged (a new MR, a push), reads the
 * summary again until the answer is final and puts it in the loaded review: the header updates by
 * itself instead of showing "not mergeable". Each read of the MR also moves GitLab's check along.
 */
export function useMergeStatusPolling(target: ReviewTarget, summary: MergeRequestSummary): void {
  const client = useQueryClient();
  const checking = summary.state === 'opened' && summary.mergeStatus.checking;
  const polled = useQuery({
    queryKey: [...reviewKey(target), 'summary'] as const,
    queryFn: () => cospec().review.summary(target),
    enabled: checking,
    refetchInterval: (query) => (query.state.data?.mergeStatus.checking === false ? false : CHECKING_POLL_MS),
    staleTime: 0,
    gcTime: 0,
  });
  const fresh = polled.data;
  useEffect(() => {
    if (!fresh) return;
    client.setQueryData<MergeRequestReview>(reviewKey(target), (review) =>
      review ? { ...review, summary: fresh } : review,
    );
  }, [client, target, fresh]);
}

export function useCloseMergeRequest(target: ReviewTarget) {
  return useSummaryAction(target, () => cospec().review.close(target));
}

/** Clones the MR's source branch at its head into a new or empty folder, as the run's account. */
export function useCheckout(target: ReviewTarget) {
  return useMutation({ mutationFn: (dir: string) => cospec().review.checkout({ ...target, dir }) });
}

/** The open merge requests runs opened, refreshed from GitLab (all accounts when none is given). */
export function useReviewList(accountId?: string) {
  return useQuery({
    queryKey: ['review', 'list', accountId ?? ''],
    queryFn: () => cospec().review.list(accountId ? { accountId } : {}),
  });
}

/** The follow-up "Ask the agent" would start (task from the unresolved threads, parent's agent and allowlist). */
export function useFollowUpDraft(target: ReviewTarget, enabled: boolean) {
  return useQuery({
    queryKey: [...discussionsKey(target), 'follow-up'],
    queryFn: () => cospec().review.followUpDraft(target),
    enabled,
    staleTime: 0,
  });
}

/** Starts the follow-up run; the runs list learns of it through 'runs.didChange'. */
export function useAskAgent(target: ReviewTarget) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: Omit<AskAgentInput, 'runId' | 'mrIid'>) => cospec().review.askAgent({ ...target, ...input }),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['runs'] }),
  });
}
