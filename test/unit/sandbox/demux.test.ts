import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demuxEngineStream } from '../../../src-main/services/sandbox/demux';
import { engineFrame } from '../../support/engine-frame';

function collect(s: PassThrough): () => Buffer {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks);
}

describe('demuxEngineStream', () => {
  it('splits frames into stdout and stderr however the chunks cut them', async () => {
    const out1 = randomBytes(300_000);
    const err1 = Buffer.from('warning\n');
    const out2 = randomBytes(5);
    const wire = Buffer.concat([
      engineFrame(1, out1),
      engineFrame(2, err1),
      engineFrame(1, Buffer.alloc(0)),
      engineFrame(1, out2),
    ]);
    for (const cut of [1, 3, 7, 8, 9, 4096, 65536, wire.length]) {
      const source = new PassThrough();
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out = collect(stdout);
      const err = collect(stderr);
      demuxEngineStream(source, stdout, stderr);
      for (let i = 0; i < wire.length; i += cut) source.write(wire.subarray(i, i + cut));
      await new Promise((resolve) => setImmediate(resolve));
      expect(out().equals(Buffer.concat([out1, out2]))).toBe(true);
      expect(err().toString()).toBe('warning\n');
    }
  });

  it('passes a stream that is not multiplexed to stdout as it is', async () => {
    const source = new PassThrough();
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out = collect(stdout);
    demuxEngineStream(source, stdout, stderr);
    source.write(Buffer.from('plain text, no frames\n'));
    source.write(Buffer.from('more\n'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(out().toString()).toBe('plain text, no frames\nmore\n');
  });
});
