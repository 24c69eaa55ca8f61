import { describe, expect, it } from 'vitest';
import { hardenSession, type HardenedSession } from '../../../src-main/shell/session-security';
import { CONTENT_SECURITY_POLICY } from '../../../src-main/platform/csp';
import { createLogger, memorySink } from '../../../src-main/platform/logger';

type Handlers = {
  request?: Parameters<HardenedSession['setPermissionRequestHandler']>[0];
  check?: Parameters<HardenedSession['setPermissionCheckHandler']>[0];
  device?: Parameters<HardenedSession['setDevicePermissionHandler']>[0];
  display?: Parameters<HardenedSession['setDisplayMediaRequestHandler']>[0];
  headers?: (
    details: { responseHeaders?: Record<string, string[]> },
    callback: (response: { responseHeaders?: Record<string, string[]> }) => void,
  ) => void;
};

function recordedSession() {
  const h: Handlers = {};
  const session = {
    setPermissionRequestHandler: (fn: Handlers['request']) => void (h.request = fn),
    setPermissionCheckHandler: (fn: Handlers['check']) => void (h.check = fn),
    setDevicePermissionHandler: (fn: Handlers['device']) => void (h.device = fn),
    setDisplayMediaRequestHandler: (fn: Handlers['display']) => void (h.display = fn),
    webRequest: { onHeadersReceived: (fn: Handlers['headers']) => void (h.headers = fn) },
  };
  hardenSession(session as unknown as HardenedSession, createLogger({ sinks: [memorySink()] }));
  return h;
}

describe('session hardening', () => {
  const ask = (h: Handlers, permission: string, requestingUrl: string, isMainFrame = true) => {
    let granted: boolean | undefined;
    h.request!({} as never, permission as never, (answer) => (granted = answer), {
      requestingUrl,
      isMainFrame,
    } as never);
    return granted;
  };

  it('denies every permission request but notifications from the app page', () => {
    const h = recordedSession();
    for (const permission of [
      'media',
      'geolocation',
      'clipboard-read',
      'clipboard-sanitized-write',
      'openExternal',
      'fullscreen',
      'midi',
      'pointerLock',
    ]) {
      expect(ask(h, permission, 'app://cospec/index.html'), permission).toBe(false);
    }
    expect(ask(h, 'notifications', 'app://cospec/index.html#/runs')).toBe(true);
  });

  it('denies notifications to any other origin and to sub-frames', () => {
    const h = recordedSession();
    expect(ask(h, 'notifications', 'https://evil.example/')).toBe(false);
    expect(ask(h, 'notifications', 'app://other/index.html')).toBe(false);
    expect(ask(h, 'notifications', 'app://cospec/frame.html', false)).toBe(false);
  });

  it('answers permission checks the same way, and device requests with no', () => {
    const h = recordedSession();
    expect(h.check!(null, 'media', 'app://cospec', {} as never)).toBe(false);
    expect(h.check!(null, 'notifications', 'app://cospec', {} as never)).toBe(true);
    expect(h.check!(null, 'notifications', 'https://evil.example', {} as never)).toBe(false);
    expect(h.device!({} as never)).toBe(false);
  });

  it('rejects screen capture', () => {
    const h = recordedSession();
    let answer: unknown;
    h.display!({} as never, (streams) => (answer = streams));
    expect(answer).toEqual({});
  });

  it('puts the CSP on every response, replacing one the response brought', () => {
    const h = recordedSession();
    let headers: Record<string, string[]> | undefined;
    h.headers!(
      { responseHeaders: { 'Content-Security-Policy': ['default-src *'], 'Content-Type': ['text/html'] } },
      (r) => (headers = r.responseHeaders),
    );
    expect(headers).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY], 'Content-Type': ['text/html'] });
  });
});

describe('content security policy', () => {
  const directives = new Map(
    CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)] as const),
  );

  it('loads nothing by default and only bundled scripts', () => {
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    expect(directives.get('base-uri')).toEqual(["'none'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
  });

  it('allows no inline code or eval anywhere', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|wasm-unsafe-eval|\*/);
  });
});
