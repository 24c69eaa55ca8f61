import { describe, expect, it } from 'vitest';
import {
  checkOrigin,
  checkSession,
  createIdentity,
  readCookie,
  sameSecret,
  sessionCookie,
} from '../../../src-main/web-host/guard';
import { createWebTransport } from '../../../src-shared/ipc/web-transport';

const id = createIdentity(4321, '127.0.0.1');

describe('browser mode guard', () => {
  it('makes a fresh 256-bit secret and session per launch, named per port', () => {
    const other = createIdentity(4321, '127.0.0.1');
    expect(id.secret).toMatch(/^[\w-]{43}$/);
    expect(id.session).not.toBe(id.secret);
    expect(other.secret).not.toBe(id.secret);
    expect(id.cookieName).toBe('cospec-session-4321');
    expect(sessionCookie(id)).toBe(`cospec-session-4321=${id.session}; HttpOnly; SameSite=Strict; Path=/`);
  });

  it('accepts only this server as Host, its own Origin, and same-origin or user-initiated fetches', () => {
    const own = { host: '127.0.0.1:4321' };
    expect(checkOrigin(own, id, false)).toBeUndefined();
    expect(checkOrigin({ host: 'LOCALHOST:4321', origin: 'http://localhost:4321' }, id, true)).toBeUndefined();
    expect(checkOrigin({ ...own, 'sec-fetch-site': 'none' }, id, false)).toBeUndefined();
    expect(checkOrigin({ ...own, origin: 'http://127.0.0.1:4321' }, id, true)).toBeUndefined();
    for (const bad of [
      { host: '127.0.0.1:4322' },
      { host: 'evil.example:4321' },
      { host: '[::1]:4321' }, // listening on 127.0.0.1 only
      {},
      { ...own, origin: 'http://localhost:4321' }, // Host and Origin must be the same origin
      { ...own, origin: 'null' },
      { ...own, origin: 'http://127.0.0.1:4321.evil.example' },
      { ...own, 'sec-fetch-site': 'same-site' },
      { ...own, 'sec-fetch-site': 'cross-site' },
    ]) {
      expect(checkOrigin(bad, id, false), JSON.stringify(bad)).toMatchObject({ status: 403 });
    }
    expect(checkOrigin(own, id, true)).toMatchObject({ status: 403, reason: 'no Origin header' });
  });

  it('reads the session cookie strictly: one value, compared in constant time', () => {
    const cookie = `${id.cookieName}=${id.session}`;
    expect(checkSession({ cookie: `a=b; ${cookie}; c=d` }, id)).toBeUndefined();
    expect(checkSession({ cookie: `${cookie}; ${cookie}` }, id)).toMatchObject({ status: 401 }); // given twice
    expect(checkSession({ cookie: `${id.cookieName}=${id.session}x` }, id)).toMatchObject({ status: 401 });
    expect(checkSession({ cookie: `x${cookie}` }, id)).toMatchObject({ status: 401 });
    expect(checkSession({}, id)).toMatchObject({ status: 401 });
    expect(readCookie({ cookie: 'a=1;b=2' }, 'b')).toBe('2');
    expect(sameSecret(undefined, 'x')).toBe(false);
    expect(sameSecret('', 'x')).toBe(false);
  });
});

describe('browser mode transport', () => {
  it('turns refusals and a dead server into error envelopes and passes only contract events on', async () => {
    const sockets: Array<{ onmessage?: (m: { data: unknown }) => void; close(): void }> = [];
    class FakeSocket {
      onopen?: () => void;
      onmessage?: (m: { data: unknown }) => void;
      onclose?: () => void;
      constructor(public url: string) {
        sockets.push(this);
      }
      close() {}
    }
    const answers: Array<Response | Error> = [
      new Response('Refused.\n', { status: 403 }),
      new Error('connection refused'),
      new Response(JSON.stringify({ ok: true, value: 42 }), { status: 200 }),
    ];
    const transport = createWebTransport({
      origin: 'http://127.0.0.1:4321',
      fetch: (async () => {
        const next = answers.shift()!;
        if (next instanceof Error) throw next;
        return next;
      }) as typeof fetch,
      WebSocket: FakeSocket as unknown as typeof WebSocket,
    });
    expect(sockets.map((s) => (s as unknown as FakeSocket).url)).toEqual(['ws://127.0.0.1:4321/__cospec/events']);
    expect(await transport.invoke('app', 'getInfo', [])).toMatchObject({
      ok: false,
      error: { code: 'UNTRUSTED_SENDER' },
    });
    expect(await transport.invoke('app', 'getInfo', [])).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('not answering') },
    });
    expect(await transport.invoke('app', 'getInfo', [])).toEqual({ ok: true, value: 42 });

    const seen: unknown[] = [];
    transport.subscribe('runs.didLog', (p) => seen.push(p));
    expect(() => transport.subscribe('nope' as 'runs.didLog', () => undefined)).toThrow(TypeError);
    const socket = sockets[0]!;
    socket.onmessage?.({ data: JSON.stringify({ event: 'runs.didLog', payload: { line: 1 } }) });
    socket.onmessage?.({ data: JSON.stringify({ event: 'secrets.didLeak', payload: 1 }) });
    socket.onmessage?.({ data: 'not json' });
    expect(seen).toEqual([{ line: 1 }]);
    transport.close();
  });
});
