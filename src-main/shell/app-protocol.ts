import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { CustomScheme } from 'electron';
import { securityHeaders } from '../platform/csp';

/**
 * The app's pages come from app://cospec/… rather than file://, so the renderer gets a real origin
 * (no access to the file system through file:// URLs, a CSP header, a URL the IPC bridge can check).
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'cospec';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** Passed to protocol.registerSchemesAsPrivileged before the app is ready. */
export const appSchemeDefinition: CustomScheme = {
  scheme: APP_SCHEME,
  // standard: relative URLs and an origin; secure: treated like https (no mixed-content downgrade);
  // supportFetchAPI so the bundle can fetch its own assets. bypassCSP stays off.
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
};

/** True for a URL of one of the app's own pages. */
export function isAppUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.map': 'application/json',
};

export interface AppProtocolOptions {
  /** The built renderer folder (out/renderer). */
  rootDir: string;
  /** Reads a file; the real fs by default (tests may count reads). */
  read?: (path: string) => Promise<Uint8Array<ArrayBuffer>>;
}

/**
 * The protocol.handle handler: serves files under rootDir only (no path escapes, no other host),
 * every response with the CSP and nosniff headers. Unknown paths get 404, never a directory listing.
 */
export function createAppProtocolHandler(options: AppProtocolOptions): (request: Request) => Promise<Response> {
  const root = resolve(options.rootDir);
  const read = options.read ?? ((path: string) => readFile(path));
  return async (request) => {
    const url = new URL(request.url);
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return plain(404, 'Not found');
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return plain(400, 'Bad request');
    }
    if (pathname.includes('\0')) return plain(400, 'Bad request');
    const file = resolve(root, '.' + (pathname === '/' ? '/index.html' : pathname));
    if (file !== root && !file.startsWith(root + sep)) return plain(403, 'Forbidden');
    try {
      const body = await read(file);
      return new Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: {
          ...securityHeaders(),
          'Content-Type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
        },
      });
    } catch {
      return plain(404, 'Not found');
    }
  };
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' } });
}
