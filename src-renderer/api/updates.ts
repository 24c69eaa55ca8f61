import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { UpdateState } from '../../src-shared/ipc/services/updates';
import { cospec, useCospecEvent } from './client';

export type { UpdateState };

export const updatesKeys = { state: ['updates', 'state'] as const };

/** Where the update check stands, kept current by main's 'updates.didChange' events. */
export function useUpdateState() {
  const client = useQueryClient();
  useCospecEvent('updates.didChange', (state) => client.setQueryData(updatesKeys.state, state));
  return useQuery({ queryKey: updatesKeys.state, queryFn: () => cospec().updates.getState(), staleTime: Infinity });
}

function useUpdatesMutation(fn: () => Promise<UpdateState>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: fn, onSuccess: (state) => client.setQueryData(updatesKeys.state, state) });
}

/** Checks the feed again (also the retry after a failed check or download). */
export function useCheckForUpdates() {
  return useUpdatesMutation(() => cospec().updates.check());
}

/** Downloads the available update; progress arrives as events. */
export function useDownloadUpdate() {
  return useUpdatesMutation(() => cospec().updates.download());
}

/** Installs the downloaded update and restarts the app. */
export function useInstallUpdate() {
  return useMutation({ mutationFn: () => cospec().updates.installAndRestart() });
}
