import { z } from 'zod';
import { CospecError } from '../../../src-shared/ipc/errors';

export const PROTOCOL_REDIRECT_URI = 'cospec://oauth/callback';

const Param = z.string().min(1).max(4096);
/** The only parameters GitLab's authorize endpoint sends back (plus RFC 9207's iss). */
const CallbackParamsSchema = z.strictObject({
  code: Param.optional(),
  state: Param.optional(),
  error: Param.optional(),
  error_description: z.string().max(4096).optional(),
  iss: Param.optional(),
});
export type CallbackParams = z.infer<typeof CallbackParamsSchema>;

/** Parses the query of a redirect; repeated or unexpected parameters make it invalid. */
export function parseCallbackQuery(search: URLSearchParams): CallbackParams {
  const entries = [...search.entries()];
  const keys = entries.map(([k]) => k);
  if (new Set(keys).size !== keys.length) throw invalid('a parameter appears twice');
  const parsed = CallbackParamsSchema.safeParse(Object.fromEntries(entries));
  if (!parsed.success) throw invalid(parsed.error.message);
  if (!parsed.data.code && !parsed.data.error) throw invalid('neither code nor error');
  return parsed.data;
}

/** Accepts exactly cospec://oauth/callback?…; anything else the OS hands over is refused. */
export function parseOAuthDeepLink(raw: string): CallbackParams {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('not a URL');
  }
  if (
    url.protocol !== 'cospec:' ||
    url.host !== 'oauth' ||
    url.pathname !== '/callback' ||
    url.username ||
    url.password ||
    url.hash
  ) {
    throw invalid(`unexpected target ${url.protocol}//${url.host}${url.pathname}`);
  }
  return parseCallbackQuery(url.searchParams);
}

function invalid(why: string): CospecError {
  return new CospecError(
    'INVALID_DEEP_LINK',
    'coSPEC received a link it does not recognise, so it ignored it. If you were connecting an account, start again from Integrations → GitLab.',
    why,
  );
}
