/**
 * Removes anything token-shaped from text before it reaches a log, an error report or a UI.
 * Patterns cover GitLab PATs and other glXXX- prefixes, OAuth bearer tokens, Authorization
 * headers, credentials in URLs, and JSON fields whose names say they hold a secret.
 */
const REDACTED = '[REDACTED]';

const PATTERNS: Array<[RegExp, string]> = [
  // GitLab token prefixes: personal, OAuth app secret, deploy, runner, feed, trigger, CI job …
  [/\bgl(?:pat|oas|dt|rt|cbt|ptt|ft|imt|agent|soat|ffct|ldt|wt)-[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)*/g, REDACTED],
  // Authorization / Private-Token / Proxy-Authorization headers, in any "name: value" or "name=value" form
  [
    /\b((?:proxy-)?authorization|private-token|job-token)(["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token)\s+)?[^\s"',;}]+/gi,
    `$1$2${REDACTED}`,
  ],
  // URL userinfo: https://user:secret@host → https://user:[REDACTED]@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi, `$1:${REDACTED}@`],
  // key=value and "key": "value" where the key names a secret
  [
    /(["']?\b(?:access_token|refresh_token|id_token|token|password|client_secret|code_verifier|private_token|secret)["']?\s*[:=]\s*["']?)[^\s"'&,;}]+/gi,
    `$1${REDACTED}`,
  ],
  // Bare bearer tokens
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/g, `Bearer ${REDACTED}`],
];

export function scrub(text: string, extraSecrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of extraSecrets) {
    if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
