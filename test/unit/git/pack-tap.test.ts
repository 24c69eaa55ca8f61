/**
 * The upload-pack tap on a real response of `git upload-pack`: pack data goes to the indexer
 * (git verify-pack accepts the result), isomorphic-git gets an empty pack, and everything else
 * (NAK, progress on band 2, the closing flush) passes through unchanged, whatever the chunking.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tapUploadPack } from '../../../src-main/services/git/pack-tap';
import { commitAll, gitEnv, gitText, scratchRepo } from '../../support/git-cli';

let root: string;
let response: Buffer;

const pkt = (line: string) => `${(line.length + 4).toString(16).padStart(4, '0')}${line}`;

/** A stateless-RPC upload-pack answer, exactly what git http-backend sends for a clone. */
function uploadPack(repo: string, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['upload-pack', '--stateless-rpc', repo], { env: gitEnv });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`upload-pack exited ${code}`)),
    );
    child.stdin.end(request);
  });
}

/** Splits a response into pkt-lines: [band or undefined, payload]. */
function pktLines(data: Buffer): Array<{ band?: number; payload: Buffer } | 'flush'> {
  const lines: Array<{ band?: number; payload: Buffer } | 'flush'> = [];
  let pos = 0;
  while (pos < data.length) {
    const length = Number.parseInt(data.toString('latin1', pos, pos + 4), 16);
    if (length === 0) {
      lines.push('flush');
      pos += 4;
      continue;
    }
    const payload = data.subarray(pos + 4, pos + length);
    const band = payload[0] !== undefined && payload[0] <= 3 ? payload[0] : undefined;
    lines.push({ band, payload: band === undefined ? payload : payload.subarray(1) });
    pos += length;
  }
  return lines;
}

beforeAll(async () => {
  const repo = await scratchRepo('cospec-tap-test-');
  root = repo.root;
  const work = repo.work;
  for (let i = 0; i < 40; i++) {
    await mkdir(join(work, `d${i % 5}`), { recursive: true });
    await writeFile(join(work, `d${i % 5}`, `f${i}.txt`), `file ${i}\n`.repeat(200 + i));
  }
  await commitAll(work, 'one');
  const head = (await gitText(['rev-parse', 'HEAD'], work)).trim();
  const request = `${pkt(`want ${head} side-band-64k ofs-delta\n`)}0000${pkt('done\n')}`;
  response = await uploadPack(work, request);
}, 60_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('tapUploadPack', () => {
  it.each([[1], [5], [65536]])(
    'diverts the pack to the indexer in chunks of %i bytes and hands on an empty pack',
    async (chunkSize) => {
      const packDir = join(root, `pack-${chunkSize}`);
      await mkdir(packDir);
      const inner: HttpClient = {
        async request(req: GitHttpRequest): Promise<GitHttpResponse> {
          async function* body() {
            for (let i = 0; i < response.length; i += chunkSize) yield response.subarray(i, i + chunkSize);
          }
          return {
            url: req.url,
            method: req.method ?? 'GET',
            statusCode: 200,
            statusMessage: 'OK',
            headers: {},
            body: body(),
          };
        },
      };
      const progress: string[] = [];
      const tap = tapUploadPack(
        inner,
        () => packDir,
        (p) => progress.push(p.phase),
      );
      try {
        const res = await tap.http.request({
          url: 'http://example.invalid/acme/app.git/git-upload-pack',
          method: 'POST',
          headers: {},
        });
        const out: Buffer[] = [];
        for await (const chunk of res.body ?? []) out.push(Buffer.from(chunk));
        const seen = pktLines(Buffer.concat(out));
        const original = pktLines(response);
        // Band 1 became one empty pack ("PACK", version 2, no objects, checksum).
        const packs = seen.filter((l) => l !== 'flush' && l.band === 1);
        expect(packs).toHaveLength(1);
        expect(packs[0] !== 'flush' && packs[0]?.payload.toString('latin1', 0, 12)).toBe('PACK\0\0\0\x02\0\0\0\0');
        // Everything else is unchanged and in order.
        const rest = (lines: typeof seen) =>
          lines
            .filter((l) => l === 'flush' || l.band !== 1)
            .map((l) => (l === 'flush' ? 'flush' : `${l.band ?? '-'}:${l.payload.toString('latin1')}`));
        expect(rest(seen)).toEqual(rest(original));
        const indexed = tap.result();
        expect(indexed?.objects).toBeGreaterThan(40);
        expect(progress).toContain('Receiving objects');
        await gitText(['verify-pack', indexed?.idxPath ?? '']);
      } finally {
        tap.close();
      }
    },
    60_000,
  );

  it('leaves other requests alone', async () => {
    const inner: HttpClient = {
      async request(req) {
        return {
          url: req.url,
          method: 'GET',
          statusCode: 200,
          statusMessage: 'OK',
          headers: {},
          body: [Buffer.from('001e# service=git-upload-pack\n')][
            Symbol.iterator
          ]() as unknown as AsyncIterableIterator<Uint8Array>,
        };
      },
    };
    const tap = tapUploadPack(
      inner,
      () => root,
      () => undefined,
    );
    const res = await tap.http.request({
      url: 'http://example.invalid/acme/app.git/info/refs?service=git-upload-pack',
      method: 'GET',
      headers: {},
    });
    const out: Uint8Array[] = [];
    for await (const chunk of res.body ?? []) out.push(chunk);
    expect(Buffer.concat(out).toString()).toBe('001e# service=git-upload-pack\n');
    expect(tap.result()).toBeUndefined();
    tap.close();
  });
});
