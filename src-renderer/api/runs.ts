import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { RunRecord, RunSpecInput } from '../../src-shared/model/run';
import { callEarlyOr, cospec, useCospecEvent } from './client';

const runsKey = ['runs'] as const;
const runKey = (id: string) => ['runs', 'one', id] as const;

/** How many log lines the view keeps; older ones scroll away (the full log stays on disk). */
export const LOG_LINES_KEPT = 20_000;

/** Puts a changed run into both the list and its own cache entry, newest first. */
function storeRun(client: QueryClient, record: RunRecord): void {
  client.setQueryData<RunRecord>(runKey(record.id), record);
  client.setQueryData<RunRecord[]>(runsKey, (list) => {
    if (!list) return list;
    const rest = list.filter((r) => r.id !== record.id);
    return [record, ...rest].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  });
}

/** Keeps the run caches current from main's 'runs.didChange' events while mounted. */
export function useRunEvents(): void {
  const client = useQueryClient();
  useCospecEvent('runs.didChange', (record) => storeRun(client, record));
}

const runsQuery = {
  queryKey: runsKey,
  queryFn: () => callEarlyOr('runs', 'list', [], () => cospec().runs.list()),
};

/** Every run, newest first; live through 'runs.didChange'. */
export function useRuns() {
  useRunEvents();
  return useQuery(runsQuery);
}

/** Asks main for the run list before its screen is mounted (errors surface when useRuns reads it). */
export function prefetchRuns(client: QueryClient): Promise<void> {
  return client.prefetchQuery(runsQuery);
}

/** One run with its transitions, egress decisions and outputs; live through 'runs.didChange'. */
export function useRun(id: string | undefined) {
  useRunEvents();
  return useQuery({
    queryKey: runKey(id ?? ''),
    queryFn: () => cospec().runs.get(id ?? ''),
    enabled: Boolean(id),
  });
}

export function useStartRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (spec: RunSpecInput) => cospec().runs.start(spec),
    onSuccess: (record) => storeRun(client, record),
  });
}

/** Starts a run's task again, first adding `allow` to the user's allowed destinations. */
export function useRerun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ runId, allow }: { runId: string; allow: string[] }) => cospec().runs.rerun(runId, { allow }),
    onSuccess: (record) => {
      storeRun(client, record);
      // The settings screen shows the user's allowed destinations: they changed.
      void client.invalidateQueries({ queryKey: ['settings'] });
    },
  });
}

export function useCancelRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => cospec().runs.cancel(id),
    onSuccess: (record) => storeRun(client, record),
  });
}

/** Re-reads the state of the run's merge requests and issues from GitLab. */
export function useRefreshOutputs() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => cospec().runs.refreshOutputs(id),
    onSuccess: (record) => storeRun(client, record),
  });
}

/**
 * Joins the tail read from disk with lines that arrived as events while it was being read: the
 * longest overlap between the end of the tail and the start of the live lines is counted once.
 */
export function joinLogTail(tail: readonly string[], live: readonly string[]): string[] {
  const max = Math.min(tail.length, live.length);
  for (let k = max; k > 0; k--) {
    let same = true;
    for (let i = 0; i < k && same; i++) same = tail[tail.length - k + i] === live[i];
    if (same) return [...tail, ...live.slice(k)];
  }
  return [...tail, ...live];
}

export interface RunLog {
  lines: string[];
  loading: boolean;
  error: Error | null;
}
const EMPTY_LOG: RunLog = { lines: [], loading: true, error: null };

/**
 * The agent's output: the last lines kept on disk, then every line main reports live. The event
 * subscription opens before the read so no line falls between the two.
 */
export function useRunLog(runId: string | undefined, tail = 5_000): RunLog {
  // Tagged with the run it belongs to, so switching runs never shows the previous run's lines.
  const [state, setState] = useState<RunLog & { runId?: string }>({ lines: [], loading: true, error: null });
  useEffect(() => {
    if (!runId) return;
    let loaded: string[] | null = null;
    let pending: string[] = [];
    let closed = false;
    const keep = (lines: string[]) => (lines.length > LOG_LINES_KEPT ? lines.slice(-LOG_LINES_KEPT) : lines);
    const unsubscribe = cospec().on('runs.didLog', (event) => {
      if (event.runId !== runId || closed) return;
      if (loaded === null) {
        pending = [...pending, ...event.lines];
        return;
      }
      loaded = keep([...loaded, ...event.lines]);
      const next = loaded;
      setState((s) => ({ ...s, runId, lines: next }));
    });
    cospec()
      .runs.logs(runId, { tail })
      .then(
        (lines) => {
          if (closed) return;
          loaded = keep(joinLogTail(lines, pending));
          pending = [];
          const next = loaded;
          setState({ runId, lines: next, loading: false, error: null });
        },
        (error: unknown) => {
          if (closed) return;
          loaded = pending;
          setState({
            runId,
            lines: pending,
            loading: false,
            error: error instanceof Error ? error : new Error(String(error)),
          });
        },
      );
    return () => {
      closed = true;
      unsubscribe();
    };
  }, [runId, tail]);
  return state.runId === runId ? state : EMPTY_LOG;
}

/**
 * The agents the run form offers, with the policy applied (settings.get), plus whether the
 * organization allows a custom command.
 */
export function useAgentChoices() {
  return useQuery({
    queryKey: ['settings', 'view'],
    queryFn: () => cospec().settings.get(),
    select: (view) => view.agents,
  });
}
