/**
 * The Content-Security-Policy every page of the app is served with: as a response header from the
 * app:// protocol and again on any response the Electron session sees, and by the browser-mode web
 * host (src-main/web-host), which is why it lives outside the shell. Each relaxation carries its reason.
 */
const directives: Record<string, string[]> = {
  // Nothing loads unless a directive below names it.
  'default-src': ["'none'"],
  // Only the bundled scripts: no inline script, no eval, no remote code.
  'script-src': ["'self'"],
  // The bundled stylesheets. React sets style properties through the CSSOM, which CSP allows.
  'style-src': ["'self'"],
  // Bundled images and data: icons; https: because account avatars come from the GitLab instance.
  'img-src': ["'self'", 'data:', 'https:'],
  'font-src': ["'self'"],
  // The renderer talks to main only through window.cospec; it opens no network connection itself.
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'worker-src': ["'none'"],
  'manifest-src': ["'none'"],
  'media-src': ["'none'"],
};

export const CONTENT_SECURITY_POLICY = Object.entries(directives)
  .map(([name, sources]) => `${name} ${sources.join(' ')}`)
  .join('; ');

/** The headers every page and file of the app is served with, in the window and in browser mode. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
}
