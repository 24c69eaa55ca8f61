import type { WireResult } from './channels';

/*
 * One call of browser mode's wire (./web-transport.ts has the whole transport): a same-origin POST
 * of {service, method, args} answered with the WireResult. Kept apart from the transport, which
 * needs the contract's event names, so the renderer's first few-kB module (src-renderer/main.tsx)
 * can start the first screen's data before the contract and the app have loaded.
 */

/** Paths the web host answers besides the renderer's files. */
export const WEB_PATHS = { call: '/__cospec/call', events: '/__cospec/events' } as const;

/** The body of one call. */
export interface WebCall {
  service: string;
  method: string;
  args: unknown[];
}

/** A refusal or a dropped connection becomes an error envelope, as any other failed call. */
function refused(status: number): WireResult {
  return {
    ok: false,
    error: {
      code: 'UNTRUSTED_SENDER',
      message:
        status === 0
          ? 'coSPEC is not answering: is `cospec serve-web` (or `npm start`) still running?'
          : `coSPEC refused the call (HTTP ${status}). Open the address \`cospec serve-web\` printed again.`,
    },
  };
}

/** Sends one call to the web host the page came from; never throws (failures are error envelopes). */
export async function webCall(
  doFetch: typeof fetch,
  service: string,
  method: string,
  args: unknown[],
): Promise<WireResult> {
  const start = performance.now();
  let response: Response;
  try {
    response = await doFetch(WEB_PATHS.call, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service, method, args } satisfies WebCall),
      credentials: 'same-origin',
      cache: 'no-store',
      redirect: 'error',
    });
  } catch {
    return refused(0);
  }
  if (!response.ok) return refused(response.status);
  const result = (await response.json()) as WireResult;
  // A user-timing entry per call ("ipc review.get"): `npm run bench review` reads them.
  performance.measure(`ipc ${service}.${method}`, { start, end: performance.now() });
  return result;
}
