import type { ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';
import type { Dispatcher } from 'undici';
import { downstreamResponseHeaders } from './headers';
import { scrubJsonBody, scrubTextBody, type ScrubContext } from './response-scrub';

/**
 * Sends a JSON or plain-text API answer to the sandbox after response-scrub.ts has cleaned it.
 * They are read whole (bounded) because a secret is a field or a pattern that may straddle chunks;
 * other answers (archives, binary files) keep streaming through forward.ts with the token masked.
 */

const JSON_LIMIT = 64 * 1024 * 1024;
const DECODERS: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** JSON and text/plain answers are cleaned whole; others stream. */
export function isScrubbedResponse(headers: Dispatcher.ResponseData['headers']): boolean {
  return /\bjson\b|^\s*text\/plain\b/i.test(String(headers['content-type'] ?? ''));
}

class TooLarge extends Error {}

async function readBounded(body: Dispatcher.ResponseData['body']): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > JSON_LIMIT) {
      body.destroy();
      throw new TooLarge();
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * @returns the body as sent (for the record), or undefined when the answer was replaced by an error
 */
export async function sendScrubbed(
  upstream: Dispatcher.ResponseData,
  res: ServerResponse,
  scrub: ScrubContext,
): Promise<Buffer | undefined> {
  const fail = (message: string) => {
    const body = JSON.stringify({ message: `coSPEC gateway: ${message}` });
    res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return undefined;
  };
  let raw: Buffer;
  try {
    raw = await readBounded(upstream.body);
    const encoding = String(upstream.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity') {
      const decode = DECODERS[encoding];
      if (!decode) return fail(`GitLab answered with an unknown content-encoding (${encoding})`);
      raw = await decode(raw);
    }
  } catch (err) {
    if (err instanceof TooLarge) return fail(`the answer is over ${JSON_LIMIT} bytes, too large to check for secrets`);
    throw err;
  }
  const body = scrubJsonBody(raw, scrub) ?? scrubTextBody(raw, scrub);
  const headers = downstreamResponseHeaders(upstream.headers);
  for (const name of Object.keys(headers)) {
    if (/^(content-length|content-encoding|etag)$/i.test(name)) delete headers[name];
  }
  headers['content-length'] = body.length;
  res.writeHead(upstream.statusCode, headers);
  res.end(body);
  return body;
}
