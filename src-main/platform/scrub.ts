/**
 * Removes anything secret-shaped from text before it reaches a log, an error report, a run record
 * or a UI. It runs over JSON.stringify output too, so quotes may arrive escaped (\"key\":\"value\").
 * Covered (test/unit/platform/scrub-corpus.test.ts holds real-looking samples and look-alikes that
 * must survive):
 * - token formats recognisable on their own: GitLab's prefixes, runner registration tokens, model
 *   providers' API keys, GitHub, AWS, Slack and Stripe keys, JWTs, PEM private keys;
 * - values in a place that says they are secret: Authorization and similar headers, Bearer and
 *   Basic credentials, URL user-info (with or without a password), OAuth `code` (and a nonce-long
 *   `state`) in query strings and form bodies, and keys named like secrets in snake_case, kebab-case or
 *   camelCase (accessToken, privateToken, apiKey, clientSecret …) in JSON, YAML, env or query form.
 */
const REDACTED = '[REDACTED]';

/** Key names whose values are secrets, matched case-insensitively with or without "_" / "-" inside. */
const SECRET_KEY = [
  String.raw`(?:access|refresh|id|private|auth|session|job|runner|runners|registration|bearer|personal[_-]?access|deploy|feed|incoming[_-]?email|trigger|csrf|oauth|api|service[_-]?account)[_-]?token`,
  'token',
  String.raw`api[_-]?key`,
  String.raw`x[_-]api[_-]key`,
  String.raw`(?:client|app|consumer|webhook|shared)[_-]?secret`,
  String.raw`secret(?:[_-]?(?:access)?[_-]?key)?`,
  String.raw`aws[_-]?secret[_-]?access[_-]?key`,
  String.raw`private[_-]?key`,
  'password',
  'passwd',
  'passphrase',
  String.raw`code[_-]?verifier`,
].join('|');

/** An optional quote, possibly escaped once or twice by JSON.stringify. */
const Q = String.raw`(?:\\{0,3}["'])?`;

const PATTERNS: Array<[RegExp, string]> = [
  // PEM private keys (RSA, EC, OPENSSH, ENCRYPTED …), whole or cut off.
  [/-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g, REDACTED],
  // GitLab: personal, OAuth app secret, deploy, runner, CI build, pipeline trigger, feed, incoming
  // mail, agent, SCIM, feature flag client, workspace tokens; then runner registration tokens.
  [/\bgl(?:pat|oas|dt|rt|rtr|cbt|ptt|ft|imt|agent|soat|ffct|ldt|wt)-[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]+)*/g, REDACTED],
  [/\bGR1348941[A-Za-z0-9_-]{16,}/g, REDACTED],
  // Model providers: Anthropic, OpenAI (project, service account, admin, legacy), OpenRouter,
  // Google (AIza…), Groq, xAI, Hugging Face, Replicate, Perplexity.
  [/\bsk-(?:ant|proj|svcacct|admin|or|None)-[A-Za-z0-9_-]{16,}/g, REDACTED],
  [/\bsk-[A-Za-z0-9]{32,}\b/g, REDACTED],
  [/\bAIza[0-9A-Za-z_-]{35}/g, REDACTED],
  [/\b(?:gsk|hf|r8)_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\b(?:xai|pplx)-[A-Za-z0-9]{20,}/g, REDACTED],
  // GitHub, AWS access keys, Slack, Stripe.
  [/\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g, REDACTED],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, REDACTED],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}/g, REDACTED],
  // JSON Web Tokens (header.payload.signature; alg "none" has an empty signature).
  [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Headers that carry credentials, in "name: value" or "name=value" form, with an optional scheme.
  [
    /\b((?:proxy-)?authorization|private-token|job-token|deploy-token|x-gitlab-token|x-api-key|api-key|x-goog-api-key)(\\{0,3}["']?\s*[:=]\s*\\{0,3}["']?)(?:(?:bearer|basic|token|digest)\s+)?[^\s"',;}\\]+/gi,
    `$1$2${REDACTED}`,
  ],
  // Cookies: the whole header value (several name=value pairs).
  [/\b((?:set-)?cookie\\{0,3}["']?\s*:\s*\\{0,3}["']?)[^\r\n"\\]+/gi, `$1${REDACTED}`],
  // URL user-info: https://user:secret@host → https://user:[REDACTED]@host …
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]*):[^\s/@]+@/gi, `$1:${REDACTED}@`],
  // … and a user part alone (https://glpat-…@host, https://TOKEN@host), except ssh's plain "git@".
  [/\b([a-z][a-z0-9+.-]*:\/\/)(?!git@)(?!\[REDACTED\])[^\s/:@[\]]+@/gi, `$1${REDACTED}@`],
  // OAuth authorization codes and state in query strings and form bodies.
  // A state is redacted only when long enough to be a nonce: GitLab's API filters say state=opened.
  [/((?:^|[?&#("'])code=)[^\s&#"'\\)]+/g, `$1${REDACTED}`],
  [/((?:^|[?&#("'])state=)[A-Za-z0-9_~.-]{16,}/g, `$1${REDACTED}`],
  // key=value, key: value and "key": "value" where the key names a secret.
  // The key may carry a prefix (ANTHROPIC_API_KEY, CI_JOB_TOKEN, gitlabAccessToken); it must end in the name.
  [
    new RegExp(String.raw`(${Q}\b[A-Za-z0-9_-]*?(?:${SECRET_KEY})${Q}\s*[:=]\s*${Q})[^\s"'&,;}\\]+`, 'gi'),
    `$1${REDACTED}`,
  ],
  // Bare bearer tokens.
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
