import { Agent, request } from 'undici';
import type { Store } from '../store';

/**
 * Plays the browser on the consent page: loads the authorize URL, signs in as `username`, presses
 * Authorize (or Deny) and returns where GitLab redirects to (the callback URL with code and state,
 * or with error=access_denied). An error page throws with its text.
 */
export async function approveAuthorization(
  store: Store,
  caPem: string | undefined,
  authorizeUrl: string,
  username: string,
  options: { deny?: boolean } = {},
): Promise<string> {
  const user = store.requireUser(username);
  const dispatcher = new Agent({ connect: caPem ? { ca: caPem } : {} });
  try {
    const page = await request(authorizeUrl, { dispatcher });
    const body = await page.body.text();
    if (page.statusCode === 302) {
      const location = page.headers.location;
      if (typeof location === 'string') return location;
    }
    if (page.statusCode !== 200) throw new Error(`the consent page answered ${page.statusCode}: ${textOf(body)}`);
    const form = new URLSearchParams();
    for (const m of body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      form.set(unescape(m[1] ?? ''), unescape(m[2] ?? ''));
    form.set('username', user.username);
    form.set('password', user.password);
    form.set('decision', options.deny ? 'deny' : 'authorize');
    const action = new URL('/oauth/authorize', authorizeUrl).toString();
    const answer = await request(action, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    const answerBody = await answer.body.text();
    const location = answer.headers.location;
    if (answer.statusCode !== 302 || typeof location !== 'string')
      throw new Error(`authorizing failed (${answer.statusCode}): ${textOf(answerBody)}`);
    return location;
  } finally {
    await dispatcher.close();
  }
}

function unescape(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
