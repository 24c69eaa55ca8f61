import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import type { Readable } from 'node:stream';
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

/**
 * The response body as the Uint8Array iterator isomorphic-git reads, chunk by chunk as the socket
 * delivers them. (A Readable's own async iterator concatenates everything buffered into one new
 * Buffer at each step; on the clone's main thread that copying showed up as its largest cost.)
 * At most HIGH_WATER chunks wait here; beyond that the body is paused, so TCP slows the sender.
 */
const HIGH_WATER = 16;
async function* chunks(body: Readable): AsyncIterableIterator<Uint8Array> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= HIGH_WATER) body.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (error: unknown) => {
    failure = error;
    notify();
  };
  const onClose = () => {
    // Closed before its end without an error event: the response was cut.
    if (!ended) failure ??= Object.assign(new Error('The response ended early.'), { code: 'UND_ERR_SOCKET' });
    notify();
  };
  body.on('data', onData);
  body.on('end', onEnd);
  body.on('error', onError);
  body.on('close', onClose);
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        if (queue.length < HIGH_WATER / 2 && body.isPaused()) body.resume();
        yield chunk;
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    body.off('data', onData);
    body.off('end', onEnd);
    body.off('error', onError);
    body.off('close', onClose);
    if (!ended) body.destroy();
  }
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[key.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
