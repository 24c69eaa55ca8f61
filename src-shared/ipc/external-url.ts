import { CospecError } from './errors';

/**
 * Only plain web pages leave the app: http(s) with a host, no credentials in the URL. Main vets every
 * URL it opens with this, and so does the page in browser mode, where it opens links itself.
 * Everything else (file:, javascript:, custom schemes, smb:) could run code or leak data.
 */
export function vetExternalUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CospecError('INVALID_URL', `"${raw}" is not a valid URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CospecError('INVALID_URL', `Only http and https links can be opened, not ${url.protocol}`);
  }
  if (!url.hostname) throw new CospecError('INVALID_URL', 'The link has no host.');
  if (url.username || url.password)
    throw new CospecError('INVALID_URL', 'Links with embedded credentials are not opened.');
  return url;
}
