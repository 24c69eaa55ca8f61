import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';

/**
 * isomorphic-git inflates every object of a pack with pako (JavaScript zlib), more than once, and
 * that is the largest share of its clone time (see `npm run bench`). Node's zlib does the same
 * work natively. isomorphic-git reaches pako only through `pako.Inflate` (finding where each
 * object's deflate stream ends while indexing the pack) and `pako.inflate` (reading objects), both
 * looked up on pako's shared CommonJS exports at call time, so swapping those two functions on that
 * object switches it to native zlib without forking the library.
 *
 * Guarded: the swap happens once, only if pako has the expected shape, and is undone if a
 * self-test on a sample stream does not give pako's answers; isomorphic-git then stays on pako.
 */

interface PakoLike {
  Inflate: new () => InflateLike;
  inflate: (data: Uint8Array) => Uint8Array;
}

interface InflateLike {
  result: Uint8Array | undefined | false;
  err: number;
  msg: string;
  strm: { avail_in: number };
  push(chunk: Uint8Array, mode: boolean | number): boolean;
}

/**
 * pako.Inflate as listpack uses it: push() until `result` is set; `strm.avail_in` then counts the
 * bytes of the last chunk after the end of the deflate stream.
 */
class NativeInflate implements InflateLike {
  result: Uint8Array | undefined = undefined;
  err = 0;
  msg = '';
  strm = { avail_in: 0 };
  private pending: Uint8Array[] = [];

  push(chunk: Uint8Array): boolean {
    this.pending.push(chunk);
    const input = this.pending.length === 1 ? chunk : Buffer.concat(this.pending);
    try {
      const { buffer, engine } = inflateSync(input, { info: true }) as unknown as {
        buffer: Buffer;
        engine: { bytesWritten: number };
      };
      this.result = buffer;
      this.strm.avail_in = input.length - engine.bytesWritten;
      this.pending = [];
      return true;
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { errno?: number };
      // The stream continues in the next chunk: wait for it, as pako does.
      if (e.code === 'Z_BUF_ERROR') return true;
      this.err = typeof e.errno === 'number' ? e.errno : -3;
      this.msg = e.message;
      return false;
    }
  }
}

let state: 'native' | 'pako' | undefined;

/** Switches isomorphic-git's pako to native zlib; returns which one is in use. Safe to call repeatedly. */
export function useNativeZlibForIsomorphicGit(): 'native' | 'pako' {
  if (state) return state;
  state = 'pako';
  let pako: PakoLike;
  try {
    const fromHere = createRequire(import.meta.url);
    // Resolve pako the way isomorphic-git does (its own dependency, wherever npm placed it).
    pako = createRequire(fromHere.resolve('isomorphic-git'))('pako') as PakoLike;
  } catch {
    return state;
  }
  if (typeof pako?.Inflate !== 'function' || typeof pako.inflate !== 'function') return state;
  const original = { Inflate: pako.Inflate, inflate: pako.inflate };
  pako.Inflate = NativeInflate as unknown as PakoLike['Inflate'];
  pako.inflate = (data: Uint8Array) => inflateSync(data);
  if (!selfTest(pako, original)) {
    Object.assign(pako, original);
    return state;
  }
  state = 'native';
  return state;
}

function selfTest(patched: PakoLike, original: Pick<PakoLike, 'Inflate' | 'inflate'>): boolean {
  try {
    const text = Buffer.from('tree 0123456789abcdef\nparent x\n\nsample object body '.repeat(20));
    // pako's own inflater is the reference; trailing bytes follow the stream as in a pack.
    const stream = Buffer.concat([deflateSync(text), Buffer.from('PACK-TRAILER-BYTES')]);
    const reference = new original.Inflate();
    reference.push(stream, false);
    const ours = new patched.Inflate();
    ours.push(stream, false);
    const same = (a: Uint8Array | undefined | false, b: Uint8Array | undefined | false) =>
      !!a && !!b && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
    return (
      same(ours.result, reference.result) &&
      ours.strm.avail_in === reference.strm.avail_in &&
      same(patched.inflate(deflateSync(text)), original.inflate(deflateSync(text)))
    );
  } catch {
    return false;
  }
}
