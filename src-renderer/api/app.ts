import { useMutation, useQuery } from '@tanstack/react-query';
import { vetExternalUrl } from '../../src-shared/ipc/external-url';
import type { AppInfo, PickFolderOptions } from '../../src-shared/ipc/services/app';
import { cospec, queryClient } from './client';

export const appKeys = { info: ['app', 'info'] as const };

/** Name, version, platform and host of the running app. */
export function useAppInfo() {
  return useQuery({ queryKey: appKeys.info, queryFn: () => cospec().app.getInfo(), staleTime: Infinity });
}

/**
 * In browser mode the page already is in the user's browser, and main may run on another machine
 * (a build host behind an ssh forward): a link opens in a new tab here, vetted by the same rule
 * main applies. Elsewhere main opens it in the system browser.
 */
async function open(url: string): Promise<void> {
  if (queryClient.getQueryData<AppInfo>(appKeys.info)?.host !== 'browser') return cospec().app.openExternal(url);
  window.open(vetExternalUrl(url).toString(), '_blank', 'noopener,noreferrer');
}

/** Opens a vetted http(s) URL in the system browser (main refuses anything else). */
export function useOpenExternal() {
  return useMutation({ mutationFn: open });
}

/** Fire-and-forget variant for links; failures are ignored because main already refused and logged. */
export function openExternal(url: string): void {
  void open(url).catch(() => undefined);
}

/** Asks for a folder with the OS folder picker; resolves to null when the user cancels (main refuses where there is no desktop app). */
export function usePickFolder() {
  return useMutation({ mutationFn: (options: PickFolderOptions) => cospec().app.pickFolder(options) });
}
