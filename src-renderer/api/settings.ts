import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { SettingsPatch, SettingsView, AgentInfo } from '../../src-shared/ipc/services/settings';
import { cospec } from './client';

export type { SettingsPatch, SettingsView, AgentInfo };

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
