import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ProjectList } from '../../src-shared/model/project';
import { cospec, useCospecEvent } from './client';

const accountKey = (accountId: string) => ['repositories', accountId] as const;
const listKey = (accountId: string, search: string) => ['repositories', accountId, search] as const;

/**
 * The account's projects (Developer access or higher), searched by main's local index. The cached
 * list shows at once; when main finishes a background refresh ('repositories.didChange') every
 * search of that account is read again.
 */
export function useProjects(accountId: string | undefined, search: string) {
  const client = useQueryClient();
  useCospecEvent('repositories.didChange', (list) => {
    client.setQueryData<ProjectList>(listKey(list.accountId, ''), list);
    void client.invalidateQueries({ queryKey: accountKey(list.accountId), predicate: (q) => q.queryKey[2] !== '' });
  });
  const needle = search.trim();
  return useQuery({
    queryKey: listKey(accountId ?? '', needle),
    queryFn: () => cospec().repositories.list({ accountId: accountId ?? '', ...(needle ? { search: needle } : {}) }),
    enabled: Boolean(accountId),
    // Typing a search keeps the previous rows on screen until the new ones arrive.
    placeholderData: keepPreviousData,
  });
}

/** Fetches every page of the account's projects again now. */
export function useRefreshProjects() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (accountId: string) => cospec().repositories.refresh(accountId),
    onSuccess: (list) => {
      client.setQueryData<ProjectList>(listKey(list.accountId, ''), list);
      void client.invalidateQueries({ queryKey: accountKey(list.accountId), predicate: (q) => q.queryKey[2] !== '' });
    },
  });
}
