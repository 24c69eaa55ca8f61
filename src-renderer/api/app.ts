import { useMutation, useQuery } from '@tanstack/react-query';
import type { PickFolderOptions } from '../../src-shared/ipc/services/app';
import { cospec } from './client';

export const appKeys = { info: ['app', 'info'] as const };

/** Name, version, platform and host of the running app. */
export function useAppInfo() {
  return useQuery({ queryKey: appKeys.info, queryFn: () => cospec().app.getInfo(), staleTime: Infinity });
}

/** Opens a vetted http(s) URL in the system browser (main refuses anything else). */
export function useOpenExternal() {
  return useMutation({ mutationFn: (url: string) => cospec().app.openExternal(url) });
}

/** Fire-and-forget variant for links; failures are ignored because main already refused and logged. */
export function openExternal(url: string): void {
  void cospec()
    .app.openExternal(url)
    .catch(() => undefined);
}

/** Asks for a folder with the OS folder picker; resolves to null when the user cancels (main refuses where there is no desktop app). */
export function usePickFolder() {
  return useMutation({ mutationFn: (options: PickFolderOptions) => cospec().app.pickFolder(options) });
}
