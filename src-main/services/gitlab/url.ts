import { CospecError } from '../../../src-shared/ipc/errors';
import { formatHost, normaliseHost } from '../../platform/host';

export const GITLAB_COM_URL = 'https://gitlab.com';

export interface InstanceUrl {
  /** Normalised base URL without a trailing slash, e.g. https://gitlab.company.com or https://host/gitlab. */
  instanceUrl: string;
  /** host[:port], lower case. */
  host: string;
  /** The REST base, instanceUrl + /api/v4. */
  apiBase: string;
}

/**
 * Turns what a user typed into the instance's base URL. The scheme is required (guessing https
 * would hide typos like "htps://"), http only on explicit opt-in because the token would travel in
 * clear, and a pasted API URL (…/api/v4) or trailing slashes are trimmed. A relative-URL install
 * (https://host/gitlab) keeps its path.
 */
export function normalizeInstanceUrl(raw: string, options: { allowHttp?: boolean } = {}): InstanceUrl {
  const text = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    throw new CospecError(
      'INVALID_URL',
      `"${text}" has no scheme. Enter the full address of your GitLab, for example https://gitlab.company.com.`,
    );
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CospecError('INVALID_URL', `"${text}" is not a valid address. Enter it like https://gitlab.company.com.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CospecError(
      'INVALID_URL',
      `GitLab is reached over https, not ${url.protocol.replace(/:$/, '')}. Enter an https:// address.`,
    );
  }
  if (url.protocol === 'http:' && !options.allowHttp) {
    throw new CospecError(
      'INSECURE_URL',
      `${url.host} was given with http://, which would send your token unencrypted. Use https://, or explicitly allow http for this instance if it is only reachable that way.`,
    );
  }
  if (url.username || url.password) {
    throw new CospecError(
      'INVALID_URL',
      'Remove the user name and password from the address; the token is entered separately.',
    );
  }
  if (url.search || url.hash) {
    throw new CospecError('INVALID_URL', 'Enter only the address of the GitLab instance, without "?…" or "#…".');
  }
  const hostname = normaliseHost(url.hostname);
  if (!hostname) throw new CospecError('INVALID_URL', `"${text}" has no valid host name.`);
  // One spelling per instance (src-main/platform/host.ts): "GitLab.com." is gitlab.com for the policy and for accounts.
  const host = `${formatHost(hostname)}${url.port ? `:${url.port}` : ''}`;
  let path = url.pathname.replace(/\/+$/, '');
  path = path.replace(/\/api\/v4$/i, '').replace(/\/+$/, '');
  const instanceUrl = `${url.protocol}//${host}${path}`;
  return { instanceUrl, host, apiBase: `${instanceUrl}/api/v4` };
}

/** The host name alone (no port), for messages. */
export function hostnameOf(instanceUrl: string): string {
  return new URL(instanceUrl).hostname;
}
