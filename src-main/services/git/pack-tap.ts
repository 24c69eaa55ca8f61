import { createHash } from 'node:crypto';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { PackIndexer, type IndexedPack, type PackIndexProgress } from './pack-indexer';

/**
 * isomorphic-git keeps doing what it does well (ref discovery, auth, negotiation, shallow lines,
 * refs and config) while the pack bypasses it: this HTTP client wrapper reads the upload-pack
 * response's side-band stream, sends the pack data (band 1) to a streaming PackIndexer that
 * writes .pack and .idx as they arrive, and hands isomorphic-git an empty pack in its place, so
 * it neither holds the pack in memory nor indexes it with pako and WebCrypto.
 * Everything else (progress on band 2, errors on band 3, shallow/ACK/NAK lines) passes unchanged.
 */
export interface PackTap {
  http: HttpClient;
  /** The pack the clone received, once the response has ended (undefined if none came). */
  result(): IndexedPack | undefined;
  /** Releases the pack files' handle (and removes a partial pack). */
  close(): void;
}

export function tapUploadPack(
  inner: HttpClient,
  packDir: () => string,
  onProgress: (p: PackIndexProgress) => void,
): PackTap {
  let indexer: PackIndexer | undefined;
  let indexed: IndexedPack | undefined;
  const http: HttpClient = {
    async request(req: GitHttpRequest): Promise<GitHttpResponse> {
      const res = await inner.request(req);
      const isPack =
        (req.method ?? 'GET').toUpperCase() === 'POST' && /\/git-upload-pack$/.test(new URL(req.url).pathname);
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
 * Streams without reassembling packets: only a packet's 4-byte length and band byte are
 * collected across chunk boundaries; payload bytes are handed on as views of the chunk they
 * arrived in (no copy of the pack here), and isomorphic-git's reader reassembles what it gets.
 */
async function* divertPack(
  body: AsyncIterableIterator<Uint8Array>,
  divert: (chunk: Uint8Array) => void,
  finish: () => void,
): AsyncIterableIterator<Uint8Array> {
  let header = Buffer.alloc(0);
  /** Payload bytes of the current packet still to come, and whether they are pack data. */
  let remaining = 0;
  let packData = false;
  let replaced = false;
  let raw = false;
  for await (const chunk of body) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Buffer[] = [];
    let pos = 0;
    while (pos < bytes.length) {
      if (raw) {
        out.push(bytes.subarray(pos));
        break;
      }
      if (remaining > 0) {
        const n = Math.min(remaining, bytes.length - pos);
        if (packData) divert(bytes.subarray(pos, pos + n));
        else out.push(bytes.subarray(pos, pos + n));
        remaining -= n;
        pos += n;
        continue;
      }
      // A packet header: 4 hex digits of length, then (for data packets) the band byte.
      const need = header.length < 4 ? 4 : 5;
      const take = Math.min(need - header.length, bytes.length - pos);
      header = Buffer.concat([header, bytes.subarray(pos, pos + take)]);
      pos += take;
      if (header.length < need) break;
      const hex = header.toString('latin1', 0, 4);
      if (!/^[0-9a-f]{4}$/i.test(hex)) {
        // Not a pkt-line: pass the rest through untouched and let isomorphic-git report it.
        out.push(header);
        header = Buffer.alloc(0);
        raw = true;
        continue;
      }
      const length = Number.parseInt(hex, 16);
      if (length <= 4) {
        // flush-pkt (and the special packets below 4), or an empty packet.
        out.push(header);
        header = Buffer.alloc(0);
        continue;
      }
      if (header.length < 5) continue;
      remaining = length - 5;
      packData = header[4] === 1;
      if (packData) {
        if (!replaced) out.push(pktLine(Buffer.concat([Buffer.from([1]), EMPTY_PACK])));
        replaced = true;
      } else {
        out.push(header);
      }
      header = Buffer.alloc(0);
    }
    if (out.length) yield out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out);
  }
  if (header.length) yield header;
  finish();
}
