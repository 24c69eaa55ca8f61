import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { SettingsPatch, SettingsView, AgentInfo, CloneCacheInfo } from '../../src-shared/ipc/services/settings';
import { cospec } from './client';

export type { SettingsPatch, SettingsView, AgentInfo, CloneCacheInfo };

export const settingsKeys = { all: ['settings'] as const };

/** Effective settings, each marked when the organization's policy manages it. */
export function useSettings() {
  return useQuery({ queryKey: settingsKeys.all, queryFn: () => cospec().settings.get() });
}

function useSettingsMutation<T>(fn: (input: T) => Promise<SettingsView>) {
  const client = useQueryClient();
  return useMutation({ mutationFn: fn, onSuccess: (view) => client.setQueryData(settingsKeys.all, view) });
}

export function useUpdateSettings() {
  return useSettingsMutation((patch: SettingsPatch) => cospec().settings.update(patch));
}

/** Stores an agent's model key in secure storage (null removes it); the key never comes back. */
export function useSetAgentKey() {
  return useSettingsMutation((input: { agent: string; key: string | null }) => cospec().settings.setAgentKey(input));
}

/** Whether a container engine answers (asked when the settings screen opens and on "Check again"). */
export function useEngineStatus() {
  return useQuery({
    queryKey: [...settingsKeys.all, 'engine'],
    queryFn: () => cospec().settings.engineStatus(),
    staleTime: 0,
  });
}

const cloneCacheKey = [...settingsKeys.all, 'clone-cache'] as const;

/** What the clone cache holds now (measured on the disk when Settings opens). */
export function useCloneCache() {
  return useQuery({ queryKey: cloneCacheKey, queryFn: () => cospec().settings.cloneCache(), staleTime: 0 });
}

/** Empties the clone cache; the answer is its size afterwards. */
export function useClearCloneCache() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => cospec().settings.clearCloneCache(),
    onSuccess: (info) => client.setQueryData(cloneCacheKey, info),
  });
}
