import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Account, NetworkSettings } from '../../src-shared/model/account';
import type {
  BeginOAuthInput,
  ConnectResult,
  ConnectWithTokenInput,
  OAuthFlow,
} from '../../src-shared/ipc/services/accounts';
import { cospec, useCospecEvent } from './client';

export type { Account, NetworkSettings, ConnectResult, OAuthFlow, ConnectWithTokenInput, BeginOAuthInput };

export const accountKeys = { all: ['accounts'] as const };

/** All connected accounts, kept current by main's accounts.didChange event. */
export function useAccounts() {
  const client = useQueryClient();
  useCospecEvent('accounts.didChange', (accounts) => client.setQueryData(accountKeys.all, accounts));
  return useQuery({ queryKey: accountKeys.all, queryFn: () => cospec().accounts.list() });
}

function useAccountsMutation<TArgs, TResult>(fn: (args: TArgs) => Promise<TResult>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    // The event usually lands first; invalidating too keeps the list right if it did not.
    onSettled: () => client.invalidateQueries({ queryKey: accountKeys.all }),
  });
}

/** Validates a Personal Access Token against the instance and stores the account. */
export function useConnectWithToken() {
  return useAccountsMutation((input: ConnectWithTokenInput) => cospec().accounts.connectWithToken(input));
}

/** Starts OAuth (main opens the system browser); then call useWaitForOAuth with the flow id. */
export function useBeginOAuth() {
  return useMutation({ mutationFn: (input: BeginOAuthInput) => cospec().accounts.beginOAuth(input) });
}

/** Resolves when the browser comes back with the code (deep link or loopback) and the account is stored. */
export function useWaitForOAuth() {
  return useAccountsMutation((flowId: string) => cospec().accounts.waitForOAuth(flowId));
}

export function cancelOAuth(flowId: string): Promise<void> {
  return cospec().accounts.cancelOAuth(flowId);
}

/** Checks one account's token and instance again. */
export function useRevalidateAccount() {
  return useAccountsMutation((accountId: string) => cospec().accounts.revalidate(accountId));
}

/** Replaces one account's CA and proxy settings. */
export function useUpdateNetwork() {
  return useAccountsMutation(({ accountId, network }: { accountId: string; network: NetworkSettings }) =>
    cospec().accounts.updateNetwork(accountId, network),
  );
}

/** Revokes (OAuth) and deletes one account with its secrets and cached data. */
export function useDisconnectAccount() {
  return useAccountsMutation((accountId: string) => cospec().accounts.disconnect(accountId));
}
