/**
 * Reads HTTP/1.1 responses off an upstream connection for the egress proxy's plain-http path
 * (http-forward.ts): the head is parsed, the body is only framed. Body bytes come out as slices of
 * the buffers fed in, never copied, which is what lets a plain-http download through the proxy run
 * as fast as a CONNECT tunnel (Node's http client reads 64 KiB at a time and pays its parser and
 * stream machinery per chunk; bench/sandbox.ts has the figures).
 *
 * What arrives here is any allowlisted server's answer on its way into the sandbox, so the reader
 * is as strict as Node's own parser and bounded: a head larger than MAX_HEAD_BYTES, bare CR or LF,
 * folded or malformed header lines, conflicting Content-Length values, a malformed chunk size or an
 * upgrade are errors (the proxy answers 502), and the framing rules are RFC 9112 §6.3's.
 */

/** The largest response head (status line and headers) accepted: Node's client allows 16 KiB. */
export const MAX_HEAD_BYTES = 64 << 10;
/** Interim (1xx) responses skipped before the final one. */
const MAX_INTERIM = 16;
/** A chunk-size line with its extensions, and the whole trailer section. */
const MAX_CHUNK_LINE = 4096;
const MAX_TRAILER_BYTES = 16 << 10;

export class HttpFramingError extends Error {
  override readonly name = 'HttpFramingError';
}

export interface ResponseHead {
  status: number;
  reason: string;
  /** 0 for an HTTP/1.0 answer, 1 for HTTP/1.1. */
  minor: 0 | 1;
  /** Names and values alternating, as received (Node's rawHeaders shape). */
  rawHeaders: string[];
}

export type BodyFraming =
  { kind: 'none' } | { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

export interface ResponseEvents {
  /** The final (non-1xx) head and how its body is delimited. */
  head(head: ResponseHead, framing: BodyFraming): void;
  /** A piece of the body: a slice of the buffer being fed, valid while that buffer is. */
  body(piece: Buffer): void;
  /** The response is complete; `reusable` when the connection may carry another request. */
  end(reusable: boolean): void;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible characters, spaces, tabs and obs-text; no other control characters.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const CHUNK_LINE = /^([0-9A-Fa-f]{1,13})[ \t]*(?:;[\t\x20-\x7e\x80-\xff]*)?$/;
const CRLF = Buffer.from('\r\n');

/** One `name: value` line of a head or trailer section, checked as Node's parser checks it. */
function fieldLine(line: string): [name: string, value: string] {
  if (line.startsWith(' ') || line.startsWith('\t')) throw new HttpFramingError('folded header line');
  const colon = line.indexOf(':');
  const name = colon > 0 ? line.slice(0, colon) : '';
  if (!TOKEN.test(name)) throw new HttpFramingError(`malformed header line: ${JSON.stringify(line.slice(0, 80))}`);
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
  if (!FIELD_VALUE.test(value)) throw new HttpFramingError(`control character in header ${name}`);
  return [name, value];
}

/** Parses a head's text (up to, not including, the blank line). */
function parseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  for (const line of lines) {
    if (line.includes('\r') || line.includes('\n')) throw new HttpFramingError('bare CR or LF in the response head');
  }
  const status = STATUS_LINE.exec(lines[0]!);
  if (!status) throw new HttpFramingError(`malformed status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  const rawHeaders: string[] = [];
  for (const line of lines.slice(1)) rawHeaders.push(...fieldLine(line));
  return { status: Number(status[2]), reason: status[3] ?? '', minor: status[1] === '0' ? 0 : 1, rawHeaders };
}

/** All values of a header (case-insensitive), comma lists split and trimmed. */
export function headerList(rawHeaders: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== name) continue;
    for (const part of rawHeaders[i + 1]!.split(',')) {
      const v = part.trim();
      if (v) out.push(v);
    }
  }
  return out;
}

/** How the body of a response to `method` with this head is delimited (RFC 9112 §6.3). */
function framingOf(method: string, head: ResponseHead): BodyFraming {
  if (method === 'HEAD' || head.status === 204 || head.status === 304) return { kind: 'none' };
  const codings = headerList(head.rawHeaders, 'transfer-encoding').map((c) => c.toLowerCase());
  // With Transfer-Encoding, any Content-Length is ignored; a body not ending in chunked runs to close.
  if (codings.length) return codings[codings.length - 1] === 'chunked' ? { kind: 'chunked' } : { kind: 'close' };
  const lengths = new Set(headerList(head.rawHeaders, 'content-length'));
  if (lengths.size > 1) throw new HttpFramingError('conflicting Content-Length values');
  const [length] = lengths;
  if (length === undefined) return { kind: 'close' };
  if (!/^\d{1,15}$/.test(length)) throw new HttpFramingError(`malformed Content-Length: ${length.slice(0, 20)}`);
  return Number(length) === 0 ? { kind: 'none' } : { kind: 'length', length: Number(length) };
}

/** Whether the connection may carry another request after this response (its body framed). */
function keepsAlive(head: ResponseHead, framing: BodyFraming): boolean {
  if (framing.kind === 'close' || head.minor === 0) return false;
  if (headerList(head.rawHeaders, 'connection').some((t) => t.toLowerCase() === 'close')) return false;
  // Transfer-Encoding alongside Content-Length: RFC 9112 §6.3 says to close after it.
  return !(
    headerList(head.rawHeaders, 'transfer-encoding').length && headerList(head.rawHeaders, 'content-length').length
  );
}

type State =
  | { at: 'head'; interim: number }
  | { at: 'length'; left: number }
  | { at: 'chunk-size' }
  | { at: 'chunk-data'; left: number }
  | { at: 'chunk-crlf'; matched: number }
  | { at: 'trailer'; bytes: number }
  | { at: 'close' }
  | { at: 'done' };

/**
 * One response at a time: feed what the connection reads, in order; `finish` at end of stream.
 * After `end`, the reader is done; bytes beyond the response make it not reusable.
 */
export class ResponseReader {
  private state: State = { at: 'head', interim: 0 };
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private reusable = false;
  /** Whether any byte of the answer arrived (a head that failed to parse leaves the state at 'head'). */
  private fed = false;

  constructor(
    private readonly method: string,
    private readonly events: ResponseEvents,
  ) {}

  /** Whether nothing of the response has arrived yet (a kept connection the server closed). */
  get untouched(): boolean {
    return !this.fed;
  }

  /** Reads `chunk`; throws HttpFramingError on a malformed response. */
  feed(chunk: Buffer): void {
    if (chunk.length) this.fed = true;
    let at = 0;
    while (at < chunk.length) {
      const s = this.state;
      switch (s.at) {
        case 'done':
          // The server sent more than one response's worth: the connection is not to be trusted again.
          this.reusable = false;
          return;
        case 'head': {
          const line = this.takeLine(chunk, at, MAX_HEAD_BYTES, '\r\n\r\n');
          if (!line) return;
          at = line.next;
          const head = parseHead(line.text);
          if (head.status < 200) {
            if (head.status === 101) throw new HttpFramingError('unexpected protocol upgrade');
            if (++s.interim > MAX_INTERIM) throw new HttpFramingError('too many interim responses');
            continue;
          }
          const framing = framingOf(this.method, head);
          this.reusable = keepsAlive(head, framing);
          this.events.head(head, framing);
          this.state =
            framing.kind === 'length'
              ? { at: 'length', left: framing.length }
              : framing.kind === 'chunked'
                ? { at: 'chunk-size' }
                : framing.kind === 'close'
                  ? { at: 'close' }
                  : { at: 'done' };
          if (this.state.at === 'done') this.complete(at < chunk.length);
          break;
        }
        case 'length':
        case 'chunk-data': {
          const n = Math.min(s.left, chunk.length - at);
          this.events.body(chunk.subarray(at, at + n));
          at += n;
          s.left -= n;
          if (s.left > 0) break;
          if (s.at === 'chunk-data') this.state = { at: 'chunk-crlf', matched: 0 };
          else {
            this.state = { at: 'done' };
            this.complete(at < chunk.length);
          }
          break;
        }
        case 'close':
          this.events.body(at === 0 ? chunk : chunk.subarray(at));
          return;
        case 'chunk-size': {
          const line = this.takeLine(chunk, at, MAX_CHUNK_LINE, '\r\n');
          if (!line) return;
          at = line.next;
          const m = CHUNK_LINE.exec(line.text);
          if (!m) throw new HttpFramingError(`malformed chunk size: ${JSON.stringify(line.text.slice(0, 40))}`);
          const size = parseInt(m[1]!, 16);
          this.state = size === 0 ? { at: 'trailer', bytes: 0 } : { at: 'chunk-data', left: size };
          break;
        }
        case 'chunk-crlf': {
          // The CRLF after a chunk's data, possibly split across reads.
          if (chunk[at] !== CRLF[s.matched]) throw new HttpFramingError('chunk data longer than its size');
          at++;
          if (++s.matched === 2) this.state = { at: 'chunk-size' };
          break;
        }
        case 'trailer': {
          // Trailer fields are read and dropped, as Node's piping always did.
          const line = this.takeLine(chunk, at, MAX_TRAILER_BYTES - s.bytes, '\r\n');
          if (!line) return;
          at = line.next;
          if (line.text === '') {
            this.state = { at: 'done' };
            this.complete(at < chunk.length);
          } else {
            s.bytes += line.text.length + 2;
            fieldLine(line.text);
          }
          break;
        }
      }
    }
  }

  /** The connection reached its end: completes a body delimited by close, else it was cut short. */
  finish(): void {
    if (this.state.at === 'close') {
      this.state = { at: 'done' };
      this.reusable = false;
      this.events.end(false);
    } else if (this.state.at !== 'done') throw new HttpFramingError('the server closed the connection mid-response');
  }

  private complete(extra: boolean): void {
    if (extra) this.reusable = false;
    this.events.end(this.reusable);
  }

  /**
   * The text before `end`, gathered across feeds; undefined while incomplete. A line longer than
   * `limit` bytes is an error.
   */
  private takeLine(chunk: Buffer, at: number, limit: number, end: string): { text: string; next: number } | undefined {
    // Pieces of a line split across reads are copied (the buffer fed in is reused for the next
    // read) and searched again with the new bytes; bounded by `limit`, so never much.
    const carried = this.pendingBytes;
    const hay = carried ? Buffer.concat([...this.pending, chunk.subarray(at)]) : chunk.subarray(at);
    const found = hay.indexOf(end);
    if (found > limit || (found < 0 && hay.length > limit))
      throw new HttpFramingError(end.length === 4 ? 'response head too large' : 'line too long');
    if (found < 0) {
      this.pending.push(Buffer.from(chunk.subarray(at)));
      this.pendingBytes += chunk.length - at;
      return undefined;
    }
    this.pending = [];
    this.pendingBytes = 0;
    // The terminator was not in the earlier pieces, so it ends in this chunk.
    return { text: hay.toString('latin1', 0, found), next: at + found + end.length - carried };
  }
}
