import { createHash } from 'node:crypto';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { PackIndexer, type IndexedPack, type PackIndexProgress } from './pack-indexer';

/**
 * isomorphic-git keeps doing what it does well (ref discovery, auth, negotiation, shallow lines,
 * refs and config) while the pack bypasses it: this HTTP client wrapper reads the upload-pack
 * response's side-band stream, sends the pack data (band 1) to a streaming PackIndexer that
 * writes .pack and .idx as they arrive, and hands isomorphic-git an empty pack in its place, so
 * it neither holds the pack in memory nor indexes it with pako and WebCrypto (issue 9's costs).
 * Everything else (progress on band 2, errors on band 3, shallow/ACK/NAK lines) passes unchanged.
 */
export interface PackTap {
  http: HttpClient;
  /** The pack the clone received, once the response has ended (undefined if none came). */
  result(): IndexedPack | undefined;
  /** Releases the pack files' handle (and removes a partial pack). */
  close(): void;
}

export function tapUploadPack(inner: HttpClient, packDir: () => string, onProgress: (p: PackIndexProgress) => void): PackTap {
  let indexer: PackIndexer | undefined;
  let indexed: IndexedPack | undefined;
  const http: HttpClient = {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const res = await inner.request(req);
      const isPack = (req.method ?? 'GET').toUpperCase() === 'POST' && /\/git-upload-pack$/.test(new URL(req.url).pathname);
      if (!isPack || res.statusCode !== 200 || !res.body) return res;
      const body = res.body;
      const divert = (chunk: Uint8Array) => {
        indexer ??= new PackIndexer(packDir(), onProgress);
        indexer.push(chunk);
      };
      const finish = () => {
        if (indexer) indexed = indexer.finish();
      };
      return { ...res, body: divertPack(body, divert, finish) };
    },
  };
  return {
    http,
    result: () => indexed,
    close() {
      if (indexed) indexed.close();
      else indexer?.close();
    },
  };
}

const EMPTY_PACK = (() => {
  const header = Buffer.from('PACK\0\0\0\x02\0\0\0\0', 'latin1');
  return Buffer.concat([header, createHash('sha1').update(header).digest()]);
})();

function pktLine(payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from((payload.length + 4).toString(16).padStart(4, '0'), 'latin1'), payload]);
}

/**
 * Re-frames the pkt-lines of an upload-pack response: band-1 payloads go to `divert`, the first
 * one is replaced by an empty pack; `finish` runs once the response ended, before isomorphic-git
 * sees the end, so the pack and its index are on disk by the time it reads objects.
 */
async function* divertPack(body: AsyncIterableIterator<Uint8Array>, divert: (chunk: Uint8Array) => void, finish: () => void): AsyncIterableIterator<Uint8Array> {
  let pending: Buffer = Buffer.alloc(0);
  let replaced = false;
  for await (const chunk of body) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    pending = pending.length ? Buffer.concat([pending, bytes]) : bytes;
    const out: Buffer[] = [];
    let pos = 0;
    while (pending.length - pos >= 4) {
      const hex = pending.toString('latin1', pos, pos + 4);
      const length = Number.parseInt(hex, 16);
      // Not a pkt-line: pass the rest through and let isomorphic-git report it.
      if (!/^[0-9a-f]{4}$/i.test(hex)) {
        out.push(pending.subarray(pos));
        pos = pending.length;
        break;
      }
      if (length < 4) {
        // flush-pkt (and the special packets below 4)
        out.push(pending.subarray(pos, pos + 4));
        pos += 4;
        continue;
      }
      if (pending.length - pos < length) break;
      if (pending[pos + 4] === 1) {
        divert(pending.subarray(pos + 5, pos + length));
        if (!replaced) out.push(pktLine(Buffer.concat([Buffer.from([1]), EMPTY_PACK])));
        replaced = true;
      } else {
        out.push(pending.subarray(pos, pos + length));
      }
      pos += length;
    }
    pending = pending.subarray(pos);
    if (out.length) yield out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }
  if (pending.length) yield pending;
  finish();
}
