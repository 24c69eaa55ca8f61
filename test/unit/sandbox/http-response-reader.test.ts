import { describe, expect, it } from 'vitest';
import {
  HttpFramingError,
  MAX_HEAD_BYTES,
  ResponseReader,
  type BodyFraming,
  type ResponseHead,
} from '../../../src-main/services/sandbox/http-response-reader';

interface Read {
  heads: Array<{ head: ResponseHead; framing: BodyFraming }>;
  body: Buffer;
  ends: boolean[];
}

/** Feeds `wire` in pieces of `step` bytes (each piece a fresh buffer, overwritten after the feed, as a reused read buffer is). */
function read(method: string, wire: Buffer, step = wire.length, finish = false): Read {
  const out: Read = { heads: [], body: Buffer.alloc(0), ends: [] };
  const pieces: Buffer[] = [];
  const reader = new ResponseReader(method, {
    head: (head, framing) => out.heads.push({ head, framing }),
    // Copied here: the reader promises slices valid only while the fed buffer is.
    body: (piece) => pieces.push(Buffer.from(piece)),
    end: (reusable) => out.ends.push(reusable),
  });
  for (let at = 0; at < wire.length; at += step) {
    const buf = Buffer.from(wire.subarray(at, at + step));
    reader.feed(buf);
    buf.fill(0x21);
  }
  if (finish) reader.finish();
  out.body = Buffer.concat(pieces);
  return out;
}

const crlf = (s: string) => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');

describe('ResponseReader', () => {
  it('frames a Content-Length body across every split of the wire, and keeps the connection', () => {
    const wire = Buffer.concat([crlf('HTTP/1.1 200 OK\nContent-Length: 11\nX-A: 1\n\n'), Buffer.from('hello world')]);
    for (let step = 1; step <= wire.length; step++) {
      const r = read('GET', wire, step);
      expect(r.body.toString()).toBe('hello world');
      expect(r.ends).toEqual([true]);
      expect(r.heads[0]!.head).toMatchObject({ status: 200, reason: 'OK', minor: 1 });
      expect(r.heads[0]!.head.rawHeaders).toEqual(['Content-Length', '11', 'X-A', '1']);
    }
  });

  it('decodes chunks with extensions and trailers across every split', () => {
    const wire = crlf(
      'HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5;name=x\nhello\n1\n \nA \nabcdefghij\n0\nX-Sum: 1\n\n',
    );
    for (let step = 1; step <= wire.length; step++) {
      const r = read('GET', wire, step);
      expect(r.body.toString()).toBe('hello abcdefghij');
      expect(r.ends).toEqual([true]);
      expect(r.heads[0]!.framing).toEqual({ kind: 'chunked' });
    }
  });

  it('reads a body without length to the connection’s end, never to be reused', () => {
    const r = read('GET', crlf('HTTP/1.1 200 OK\n\nall of it'), 3, true);
    expect(r.body.toString()).toBe('all of it');
    expect(r.ends).toEqual([false]);
  });

  it('knows HEAD, 204 and 304 answers have no body, whatever their length says', () => {
    expect(read('HEAD', crlf('HTTP/1.1 200 OK\nContent-Length: 99\n\n')).ends).toEqual([true]);
    expect(read('GET', crlf('HTTP/1.1 204 No Content\nContent-Length: 5\n\n')).ends).toEqual([true]);
    expect(read('GET', crlf('HTTP/1.1 304 Not Modified\nTransfer-Encoding: chunked\n\n')).ends).toEqual([true]);
    expect(read('GET', crlf('HTTP/1.1 200 OK\nContent-Length: 0\n\n')).ends).toEqual([true]);
  });

  it('skips interim answers and reports only the final head', () => {
    const r = read(
      'GET',
      crlf('HTTP/1.1 100 Continue\n\nHTTP/1.1 103 Early Hints\nLink: </a>\n\nHTTP/1.1 200 OK\nContent-Length: 2\n\nok'),
      7,
    );
    expect(r.heads.map((h) => h.head.status)).toEqual([200]);
    expect(r.body.toString()).toBe('ok');
  });

  it('does not keep a connection the server closes, speaks HTTP/1.0 on, or sends more on', () => {
    expect(read('GET', crlf('HTTP/1.1 200 OK\nConnection: close\nContent-Length: 1\n\nx')).ends).toEqual([false]);
    expect(read('GET', crlf('HTTP/1.0 200 OK\nContent-Length: 1\n\nx')).ends).toEqual([false]);
    // A second answer nobody asked for (response splitting): this one ends, the connection is spent.
    const split = read(
      'GET',
      crlf('HTTP/1.1 200 OK\nContent-Length: 1\n\nxHTTP/1.1 200 OK\nContent-Length: 4\n\nevil'),
    );
    expect(split.body.toString()).toBe('x');
    expect(split.ends).toEqual([false]);
    // Transfer-Encoding wins over Content-Length, and the connection closes after (RFC 9112 §6.3).
    const both = read('GET', crlf('HTTP/1.1 200 OK\nContent-Length: 100\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n'));
    expect(both.body.toString()).toBe('ok');
    expect(both.ends).toEqual([false]);
  });

  it('accepts repeated equal lengths and refuses conflicting or malformed ones', () => {
    expect(read('GET', crlf('HTTP/1.1 200 OK\nContent-Length: 2, 2\nContent-Length: 2\n\nok')).body.toString()).toBe(
      'ok',
    );
    expect(() => read('GET', crlf('HTTP/1.1 200 OK\nContent-Length: 2\nContent-Length: 3\n\nok'))).toThrow(
      /conflicting Content-Length/,
    );
    expect(() => read('GET', crlf('HTTP/1.1 200 OK\nContent-Length: -1\n\n'))).toThrow(/malformed Content-Length/);
    expect(() => read('GET', crlf('HTTP/1.1 200 OK\nContent-Length: 0x10\n\n'))).toThrow(/malformed Content-Length/);
  });

  it.each([
    ['a bare LF', Buffer.from('HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\n\r\n'), /bare CR or LF/],
    ['a bare CR', Buffer.from('HTTP/1.1 200 OK\r\nX-A: 1\rX-B: 2\r\n\r\n'), /bare CR or LF/],
    ['a folded line', crlf('HTTP/1.1 200 OK\nX-A: 1\n  more\n\n'), /folded/],
    ['a space before the colon', crlf('HTTP/1.1 200 OK\nX-A : 1\n\n'), /malformed header line/],
    ['no colon', crlf('HTTP/1.1 200 OK\nX-A\n\n'), /malformed header line/],
    ['a NUL in a value', crlf('HTTP/1.1 200 OK\nX-A: a\u0000b\n\n'), /control character/],
    ['HTTP/2 on the status line', crlf('HTTP/2 200 OK\n\n'), /malformed status line/],
    ['a status out of range', crlf('HTTP/1.1 099 Odd\n\n'), /malformed status line/],
    ['an upgrade', crlf('HTTP/1.1 101 Switching Protocols\nUpgrade: x\n\n'), /upgrade/],
    [
      'a chunk size that is not hex',
      crlf('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\nzz\n'),
      /malformed chunk size/,
    ],
    [
      'a chunk longer than its size',
      crlf('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nabc\n'),
      /longer than its size/,
    ],
    [
      'a chunk size beyond 2^52',
      crlf('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n10000000000000\n'),
      /malformed chunk size/,
    ],
  ])('refuses %s', (_what, wire, message) => {
    expect(() => read('GET', wire)).toThrow(HttpFramingError);
    expect(() => read('GET', wire, 1)).toThrow(message);
  });

  it('bounds the head, a chunk-size line and the trailers, whole or trickled', () => {
    const bigHead = crlf(`HTTP/1.1 200 OK\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\n\n`);
    expect(() => read('GET', bigHead)).toThrow(/head too large/);
    expect(() => read('GET', bigHead.subarray(0, MAX_HEAD_BYTES + 100), 997)).toThrow(/head too large/);
    expect(() =>
      read('GET', crlf(`HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n1;${'e'.repeat(5000)}`), 100),
    ).toThrow(/line too long/);
    const trailers = Array.from({ length: 400 }, (_, i) => `X-T${i}: ${'v'.repeat(50)}\n`).join('');
    expect(() => read('GET', crlf(`HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n0\n${trailers}\n`), 64)).toThrow(
      /line too long/,
    );
  });

  it('tells a body cut short from one that ran to the end', () => {
    expect(() => read('GET', crlf('HTTP/1.1 200 OK\nContent-Length: 10\n\nshort'), 4, true)).toThrow(/mid-response/);
    expect(() => read('GET', crlf('HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nab'), 4, true)).toThrow(
      /mid-response/,
    );
    expect(() => read('GET', crlf('HTTP/1.1 200 OK\nContent-'), 4, true)).toThrow(/mid-response/);
  });

  it('says whether anything of the answer has arrived (a kept connection the server closed)', () => {
    const reader = new ResponseReader('GET', { head: () => undefined, body: () => undefined, end: () => undefined });
    expect(reader.untouched).toBe(true);
    reader.feed(Buffer.from('HTTP/1.1 2'));
    expect(reader.untouched).toBe(false);
    // A whole head that fails to parse is an answer too: the server did act on the request.
    const refused = new ResponseReader('GET', { head: () => undefined, body: () => undefined, end: () => undefined });
    expect(() => refused.feed(Buffer.from('HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n'))).toThrow(HttpFramingError);
    expect(refused.untouched).toBe(false);
  });
});
