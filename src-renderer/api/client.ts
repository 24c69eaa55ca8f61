import { useEffect, useRef } from 'react';
import { QueryClient } from '@tanstack/react-query';
import type { CospecApi, EventName, EventPayload } from '../../src-shared/ipc/contract';
import { unwrapWireResult } from '../../src-shared/ipc/client';
import { CospecError, ErrorCodeSchema, type ErrorCode } from '../../src-shared/ipc/errors';
import { takeEarlyCall } from './early';

declare global {
  interface Window {
    /** Installed by the preload (Electron) or, in browser mode and the UI suite, by ./web-bridge.ts; read only through cospec(). */
    cospec?: CospecApi;
  }
}

/** The typed bridge to main. The api/ folder is the only code that calls this. */
export function cospec(): CospecApi {
  const api = window.cospec;
  if (!api) throw new CospecError('INTERNAL', 'coSPEC could not reach its main process (window.cospec is missing).');
  return api;
}

/** Whether the bridge exists (false when index.html is opened in a plain browser). */
export function hasBridge(): boolean {
  return typeof window !== 'undefined' && window.cospec !== undefined;
}

/**
 * The answer to a call main.tsx started before the app's code had loaded (./early.ts), taken once;
 * otherwise `call()`. For the first screen's queries, so the cold start's data is asked for once.
 */
export function callEarlyOr<T>(service: string, method: string, args: unknown[], call: () => Promise<T>): Promise<T> {
  const early = takeEarlyCall(service, method, args);
  if (!early) return call();
  if ('value' in early) return early.value as Promise<T>;
  return early.wire.then((result) => unwrapWireResult(result) as T);
}

/**
 * One QueryClient for the renderer. Calls go over local IPC, so failures are not transient network
 * blips: no automatic retries (a retry would hide a diagnostic the user should see), and data is
 * kept fresh by main's events rather than by window-focus refetches.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // retryOnMount too: a screen whose chunk loads after the sidebar asked the same query would
      // otherwise ask again and replace a once-only diagnostic (a damaged settings file) with data.
      queries: { retry: false, retryOnMount: false, refetchOnWindowFocus: false, staleTime: 30_000 },
      mutations: { retry: false },
    },
  });
}
export const queryClient = createQueryClient();

/** Subscribes to a main→renderer event for the lifetime of the component; the latest listener is always called. */
export function useCospecEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => {
    if (!hasBridge()) return;
    return cospec().on(event, (payload) => latest.current(payload));
  }, [event]);
}

/** What the UI needs from any thrown value: a code to branch on and a message for people. */
export interface UiError {
  code: ErrorCode;
  message: string;
  detail?: string;
}

export function toUiError(error: unknown): UiError {
  if (error instanceof CospecError) return { code: error.code, message: error.message, detail: error.detail };
  if (error && typeof error === 'object' && 'code' in error && 'message' in error) {
    const code = ErrorCodeSchema.safeParse((error as { code: unknown }).code);
    if (code.success) return { code: code.data, message: String((error as { message: unknown }).message) };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : 'Something went wrong.' };
}
