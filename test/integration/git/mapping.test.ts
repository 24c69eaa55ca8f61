import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { mapGitCliError, mapIsomorphicError } from '../../../src-main/services/git/errors';
import { useNativeZlibForIsomorphicGit } from '../../../src-main/services/git/native-zlib';
import { gitProgressParser, monotonicReporter, overallProgress } from '../../../src-main/services/git/progress';

/**
 * The pure parts both clone paths rely on (they need no server, so they could live with the unit
 * tests): git's progress lines, its error messages, and the native zlib shim for isomorphic-git.
 */
const ctx = { url: 'https://gitlab.example.com/acme/web-app.git', branch: 'feature/x' };

describe('progress', () => {
  it('reads git progress redrawn with carriage returns, across chunk boundaries', () => {
    const seen: Array<[string, number, number]> = [];
    const parser = gitProgressParser((phase, loaded, total) => seen.push([phase, loaded, total]));
    parser.push(
      "Cloning into 'x'...\nremote: Enumerating objects: 12, done.\nReceiving objects:  50% (5/10)\rReceiving obj",
    );
    parser.push(
      'ects: 100% (10/10), 1.2 MiB | 3 MiB/s, done.\nResolving deltas: 100% (4/4), done.\nfatal: something\n',
    );
    expect(seen).toEqual([
      ['Receiving objects', 5, 10],
      ['Receiving objects', 10, 10],
      ['Resolving deltas', 4, 4],
    ]);
    expect(parser.messages()).toEqual([
      "Cloning into 'x'...",
      'remote: Enumerating objects: 12, done.',
      'fatal: something',
    ]);
  });

  it('maps phases to one bar that only moves forward', () => {
    expect(overallProgress('Receiving objects', 0, 10).percent).toBe(5);
    expect(overallProgress('Resolving deltas', 10, 10).percent).toBe(80);
    expect(overallProgress('Updating workdir', 5, 10).percent).toBe(90);
    expect(overallProgress('Something new', 1, 2).percent).toBeUndefined();
    const out: Array<number | undefined> = [];
    const report = monotonicReporter((_d, p) => out.push(p));
    report('a', 40);
    report('b', 30);
    report('b', 30);
    report('c', undefined);
    expect(out).toEqual([40, 40, undefined]);
  });
});

describe('git CLI messages', () => {
  const code = (text: string, c = { ...ctx }) => mapGitCliError(text.split('\n'), 128, c).code;
  it.each([
    ["fatal: Authentication failed for 'https://gitlab.example.com/acme/web-app.git/'", 'UNAUTHORIZED'],
    ["fatal: could not read Username for 'https://gitlab.example.com': terminal prompts disabled", 'UNAUTHORIZED'],
    ["fatal: unable to access '…': The requested URL returned error: 403", 'FORBIDDEN'],
    [
      "remote: The project you were looking for could not be found\nfatal: repository 'https://…/web-app.git/' not found",
      'NOT_FOUND',
    ],
    [
      'warning: Could not find remote branch feature/x to clone.\nfatal: Remote branch feature/x not found in upstream origin',
      'NOT_FOUND',
    ],
    ["fatal: unable to access '…': Could not resolve host: gitlab.example.com", 'DNS_FAILURE'],
    [
      "fatal: unable to access '…': Failed to connect to gitlab.example.com port 443 after 1 ms: Connection refused",
      'CONNECTION_REFUSED',
    ],
    ["fatal: unable to access '…': server certificate verification failed. CAfile: /x CRLfile: none", 'TLS_UNKNOWN_CA'],
    ["fatal: unable to access '…': SSL certificate problem: certificate has expired", 'TLS_CERT_EXPIRED'],
    ["fatal: unable to access '…': Received HTTP code 407 from proxy after CONNECT", 'PROXY_ERROR'],
    [
      'error: RPC failed; curl 18 transfer closed with outstanding read data remaining\nfatal: early EOF',
      'CONNECTION_RESET',
    ],
    ['fatal: write error: No space left on device', 'DISK_FULL'],
    ["fatal: unable to access '…': The requested URL returned error: 502", 'SERVER_ERROR'],
    ['fatal: something nobody expected', 'CLONE_FAILED'],
  ])('%s → %s', (text, expected) => {
    expect(code(text)).toBe(expected);
  });

  it('does not show the staging folder in the detail', () => {
    const error = mapGitCliError(["Cloning into '/w/.ws.cospec-clone-1-ab'...", 'fatal: early EOF'], 128, ctx);
    expect(error.detail).not.toContain('cospec-clone');
  });

  it('blames the proxy for a refused connection when one is set', () => {
    expect(
      code('fatal: Failed to connect to 127.0.0.1 port 3128: Connection refused', {
        ...ctx,
        proxyUrl: 'http://user:pw@proxy:3128',
      } as typeof ctx),
    ).toBe('PROXY_ERROR');
  });
});

describe('isomorphic-git errors', () => {
  it('maps HTTP statuses, missing refs, full disks and cancellation', () => {
    const http = (statusCode: number) =>
      Object.assign(new Error(`HTTP Error: ${statusCode}`), { code: 'HttpError', data: { statusCode } });
    expect(mapIsomorphicError(http(401), ctx).code).toBe('UNAUTHORIZED');
    expect(mapIsomorphicError(http(404), ctx).code).toBe('NOT_FOUND');
    expect(mapIsomorphicError(http(503), ctx).code).toBe('SERVER_ERROR');
    expect(
      mapIsomorphicError(Object.assign(new Error('Could not find feature/x.'), { code: 'NotFoundError' }), ctx).code,
    ).toBe('NOT_FOUND');
    expect(mapIsomorphicError(Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' }), ctx).code).toBe(
      'DISK_FULL',
    );
    const aborted = new AbortController();
    aborted.abort();
    expect(mapIsomorphicError(new Error('whatever'), ctx, aborted.signal).code).toBe('CANCELLED');
    expect(mapIsomorphicError(Object.assign(new Error('x'), { cause: { code: 'ECONNRESET' } }), ctx).code).toBe(
      'CONNECTION_RESET',
    );
  });
});

describe('native zlib for isomorphic-git', () => {
  it('replaces pako with Node zlib and behaves like pako on a stream followed by more pack bytes', () => {
    expect(useNativeZlibForIsomorphicGit()).toBe('native');
    const pako = createRequire(createRequire(import.meta.url).resolve('isomorphic-git'))('pako') as {
      Inflate: new () => { push(c: Uint8Array, m: boolean): boolean; result?: Uint8Array; strm: { avail_in: number } };
      inflate(d: Uint8Array): Uint8Array;
    };
    const body = Buffer.from('blob body '.repeat(500));
    const deflated = deflateSync(body);
    const tail = Buffer.from('next object header and data');
    // Split across two chunks: the first push must wait for more input, as pako does.
    const inflater = new pako.Inflate();
    inflater.push(deflated.subarray(0, 10), false);
    expect(inflater.result).toBeUndefined();
    const second = Buffer.concat([deflated.subarray(10), tail]);
    inflater.push(second, false);
    expect(Buffer.from(inflater.result ?? []).equals(body)).toBe(true);
    expect(inflater.strm.avail_in).toBe(tail.length);
    expect(Buffer.from(pako.inflate(deflated)).equals(body)).toBe(true);
  });
});
