import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { getGlobalDispatcher, interceptors, request, type Dispatcher } from 'undici';

/**
 * isomorphic-git's HTTP client on undici, so a clone goes through the account's dispatcher: its
 * proxy and its CA bundle apply exactly as for API calls. Redirects are followed (GitLab redirects
 * renamed projects); undici drops the Authorization header when a redirect leaves the origin.
 */
export function undiciHttpClient(options: { dispatcher?: Dispatcher; signal?: AbortSignal }): HttpClient {
  const base = options.dispatcher ?? getGlobalDispatcher();
  const dispatcher = base.compose(interceptors.redirect({ maxRedirections: 5 }));
  return {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const method = (req.method ?? 'GET').toUpperCase();
      const body = req.body ? await collect(req.body) : undefined;
      const res = await request(req.url, {
        method: method as Dispatcher.HttpMethod,
        headers: req.headers ?? {},
        body,
        dispatcher,
        signal: options.signal,
      });
      return {
        url: req.url,
        method,
        statusCode: res.statusCode,
        statusMessage: '',
        headers: flattenHeaders(res.headers),
        body: chunks(res.body),
      };
    },
  };
}

async function collect(body: AsyncIterableIterator<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

/** The response body as the Uint8Array iterator isomorphic-git reads. */
async function* chunks(body: AsyncIterable<Buffer>): AsyncIterableIterator<Uint8Array> {
  for await (const chunk of body) yield chunk;
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
