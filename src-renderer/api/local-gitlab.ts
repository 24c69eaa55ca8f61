import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { LocalGitLabStatus } from '../../src-shared/ipc/services/local-gitlab';
import { accountKeys } from './accounts';
import { cospec } from './client';

export type { LocalGitLabStatus };

const key = ['local-gitlab'] as const;

/** Whether this build can start the bundled local GitLab ("try it locally"), and whether it runs. */
export function useLocalGitLab() {
  return useQuery({ queryKey: key, queryFn: () => cospec().localGitLab.status() });
}

/** Starts the local GitLab and connects its bot user. */
export function useStartLocalGitLab() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => cospec().localGitLab.start(),
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: key }),
        client.invalidateQueries({ queryKey: accountKeys.all }),
      ]),
  });
}

export function useStopLocalGitLab() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => cospec().localGitLab.stop(),
    onSettled: () =>
      Promise.all([
        client.invalidateQueries({ queryKey: key }),
        client.invalidateQueries({ queryKey: accountKeys.all }),
      ]),
  });
}
