import type { OAuthApp } from './app';

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** GitLab's "Authorize … to use your account?" page, with sign-in fields since the stand-in has no sessions. */
export function consentPage(app: OAuthApp, scopes: string[], hidden: Record<string, string>): string {
  const inputs = Object.entries(hidden)
    .map(([name, value]) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`)
    .join('\n      ');
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorize application · GitLab</title></head>
<body>
  <main class="oauth-authorize">
    <h1>Authorize ${esc(app.name)} to use your account?</h1>
    <p>An application called ${esc(app.name)} is requesting access to your GitLab account.</p>
    <p>This application will be able to:</p>
    <ul>${scopes.map((s) => `<li><strong>${esc(s)}</strong></li>`).join('')}</ul>
    <form method="post" action="/oauth/authorize">
      ${inputs}
      <label>Username <input name="username" autocomplete="username"></label>
      <label>Password <input name="password" type="password" autocomplete="current-password"></label>
      <button type="submit" name="decision" value="authorize" data-testid="authorization-button">Authorize</button>
      <button type="submit" name="decision" value="deny">Deny</button>
    </form>
  </main>
</body>
</html>
`;
}

export function errorPage(title: string, description: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${esc(title)} · GitLab</title></head>
<body><main><h1>An error has occurred</h1><p class="error">${esc(description)}</p></main></body>
</html>
`;
}
