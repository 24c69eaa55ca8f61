import { describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { scrub } from '../../../src-main/platform/scrub';

/**
 * A corpus of real-looking secrets in the places they turn up (log lines, JSON bodies, JSON inside
 * JSON as the logger writes it, headers, URLs, env files, YAML), and of look-alikes that must
 * survive (commit shas, UUIDs, checksums, ordinary words). The samples are generated here, in the
 * shapes the issuers document, so no secret-shaped literal sits in the repository.
 */

/** A deterministic string of `n` characters from `alphabet` (xorshift), so failures reproduce. */
function fake(n: number, alphabet: string, seed = n * 7919): string {
  let x = seed || 1;
  let out = '';
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += alphabet[Math.abs(x) % alphabet.length];
  }
  return out;
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URLSAFE = ALNUM + '_-';
const HEX = '0123456789abcdef';
const B64URL = (n: number, seed?: number) => fake(n, URLSAFE, seed);

const secrets: Record<string, string> = {
  'GitLab personal access token': `glpat-${fake(20, URLSAFE)}`,
  'GitLab routable PAT': `glpat-${fake(27, URLSAFE)}.01.${fake(9, ALNUM)}`,
  'GitLab OAuth app secret': `gloas-${fake(64, HEX)}`,
  'GitLab deploy token': `gldt-${fake(20, URLSAFE)}`,
  'GitLab runner token': `glrt-${fake(20, URLSAFE)}`,
  'GitLab runner token (routable)': `glrt-t1_${fake(27, URLSAFE)}`,
  'GitLab CI build token': `glcbt-64_${fake(20, URLSAFE)}`,
  'GitLab trigger token': `glptt-${fake(40, HEX)}`,
  'GitLab feed token': `glft-${fake(20, URLSAFE)}`,
  'GitLab incoming mail token': `glimt-${fake(25, ALNUM)}`,
  'GitLab agent token': `glagent-${fake(50, URLSAFE)}`,
  'GitLab SCIM token': `glsoat-${fake(20, URLSAFE)}`,
  'GitLab feature flags token': `glffct-${fake(20, URLSAFE)}`,
  'GitLab runner registration token': `GR1348941${fake(20, URLSAFE)}`,
  'Anthropic API key': `sk-ant-api03-${B64URL(93)}AA`,
  'Anthropic admin key': `sk-ant-admin01-${B64URL(93)}AA`,
  'OpenAI project key': `sk-proj-${B64URL(156)}`,
  'OpenAI service account key': `sk-svcacct-${B64URL(120)}`,
  'OpenAI legacy key': `sk-${fake(48, ALNUM)}`,
  'OpenRouter key': `sk-or-v1-${fake(64, HEX)}`,
  'Google API key': `AIza${fake(35, URLSAFE)}`,
  'Groq key': `gsk_${fake(52, ALNUM)}`,
  'xAI key': `xai-${fake(80, ALNUM)}`,
  'Hugging Face token': `hf_${fake(34, ALNUM)}`,
  'GitHub token': `ghp_${fake(36, ALNUM)}`,
  'GitHub fine-grained token': `github_pat_${fake(22, ALNUM)}_${fake(59, ALNUM)}`,
  'AWS access key id': `AKIA${fake(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`,
  'Slack bot token': `xoxb-${fake(12, '0123456789')}-${fake(13, '0123456789')}-${fake(24, ALNUM)}`,
  'Stripe secret key': `sk_live_${fake(24, ALNUM)}`,
  JWT: `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${B64URL(120)}.${B64URL(342)}`,
  'unsigned JWT': `eyJhbGciOiJub25lIn0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.`,
};

/** Secrets recognisable only by where they are: each context wraps an opaque value. */
const OPAQUE = fake(40, ALNUM, 4242);
const contexts: Record<string, string> = {
  'Authorization: Bearer': `Authorization: Bearer ${OPAQUE}`,
  'authorization: Basic': `authorization: Basic ${Buffer.from(`oauth2:${OPAQUE}`).toString('base64')}`,
  'Proxy-Authorization': `Proxy-Authorization: Basic ${Buffer.from(`u:${OPAQUE}`).toString('base64')}`,
  'PRIVATE-TOKEN header': `PRIVATE-TOKEN: ${OPAQUE}`,
  'JOB-TOKEN header': `JOB-TOKEN: ${OPAQUE}`,
  'x-api-key header': `x-api-key: ${OPAQUE}`,
  'x-goog-api-key header': `x-goog-api-key: ${OPAQUE}`,
  'Cookie header': `Cookie: _gitlab_session=${OPAQUE}; known_sign_in=${OPAQUE}`,
  'bare Bearer': `sent Bearer ${OPAQUE} to the API`,
  'URL user and password': `https://oauth2:${OPAQUE}@gitlab.example.com/acme/web.git`,
  'URL user-info without password': `https://${OPAQUE}@gitlab.example.com/acme/web.git`,
  'URL token as user': `cloning https://x${OPAQUE}@gitlab.example.com/a/b.git failed`,
  'OAuth code in a callback': `GET /callback?code=${OPAQUE}&state=${OPAQUE}x`,
  'OAuth code in a form body': `grant_type=authorization_code&code=${OPAQUE}&redirect_uri=http%3A%2F%2F127.0.0.1`,
  'OAuth code at the start of a body': `code=${OPAQUE}&grant_type=authorization_code`,
  code_verifier: `code_verifier=${OPAQUE}`,
  'snake access_token in JSON': JSON.stringify({ access_token: OPAQUE, token_type: 'Bearer' }),
  'camel accessToken in JSON': JSON.stringify({ accessToken: OPAQUE }),
  'camel refreshToken in JSON': JSON.stringify({ refreshToken: OPAQUE }),
  'camel idToken': `idToken=${OPAQUE}`,
  'camel privateToken': JSON.stringify({ privateToken: OPAQUE }),
  'kebab private-token in YAML': `private-token: ${OPAQUE}`,
  'camel apiKey': JSON.stringify({ apiKey: OPAQUE }),
  'snake api_key in env': `API_KEY=${OPAQUE}`,
  'ANTHROPIC_API_KEY in env': `ANTHROPIC_API_KEY=${OPAQUE}`,
  'camel clientSecret': JSON.stringify({ clientSecret: OPAQUE }),
  'snake client_secret': `client_secret=${OPAQUE}`,
  'camel sessionToken': JSON.stringify({ sessionToken: OPAQUE }),
  'runners_token in a GitLab response': JSON.stringify({ id: 7, runners_token: OPAQUE }),
  'registration token': JSON.stringify({ registrationToken: OPAQUE }),
  'password in YAML': `password: ${OPAQUE}`,
  aws_secret_access_key: `aws_secret_access_key = ${OPAQUE}`,
  secretKey: JSON.stringify({ secretKey: OPAQUE }),
  'PEM private key': `-----BEGIN PRIVATE KEY-----\nMIIE${OPAQUE}\n${OPAQUE}==\n-----END PRIVATE KEY-----`,
  'PEM RSA key cut off': `key: -----BEGIN RSA PRIVATE KEY-----\nMIIE${OPAQUE}`,
  'OpenSSH key': `-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl${OPAQUE}\n-----END OPENSSH PRIVATE KEY-----`,
};

/** How a secret reaches the scrubber: alone, in a sentence, in JSON, and in JSON inside JSON (the logger's records). */
const wrappings: Array<[string, (s: string) => string]> = [
  ['bare', (s) => s],
  ['in a sentence', (s) => `request failed (${s}) after 3 tries`],
  ['in JSON', (s) => JSON.stringify({ detail: s })],
  ['in JSON inside JSON', (s) => JSON.stringify({ msg: JSON.stringify({ detail: s }) })],
];

describe('scrub: every secret in the corpus is removed', () => {
  for (const [name, secret] of Object.entries(secrets))
    for (const [how, wrap] of wrappings)
      it(`${name}, ${how}`, () => {
        const out = scrub(wrap(secret));
        expect(out).toContain('[REDACTED]');
        // No long run of the secret survives (a prefix like "glpat-" or "sk-ant-" may).
        for (let i = 0; i + 12 <= secret.length; i += 6)
          expect(out, `${out}\nkeeps ${secret.slice(i, i + 12)}`).not.toContain(secret.slice(i + 0, i + 12));
      });

  for (const [name, text] of Object.entries(contexts))
    for (const [how, wrap] of wrappings)
      it(`${name}, ${how}`, () => {
        const out = scrub(wrap(text));
        expect(out, out).not.toContain(OPAQUE);
        expect(out).not.toContain(OPAQUE.slice(0, 16));
      });

  it('keeps what says where a secret was', () => {
    expect(scrub(`https://oauth2:${OPAQUE}@gitlab.example.com/a.git`)).toBe(
      'https://oauth2:[REDACTED]@gitlab.example.com/a.git',
    );
    expect(scrub(`https://${OPAQUE}@gitlab.example.com/a.git`)).toBe('https://[REDACTED]@gitlab.example.com/a.git');
    expect(scrub(JSON.stringify({ accessToken: OPAQUE, tokenType: 'Bearer' }))).toBe(
      '{"accessToken":"[REDACTED]","tokenType":"Bearer"}',
    );
  });
});

describe('scrub: look-alikes survive', () => {
  const keep = [
    'commit 3f786850e387550fdab836ed7e6dc881de23001b on main',
    'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 matches',
    'run 0b8e6f0a-3c1d-4d2e-9f4a-6b7c8d9e0f1a finished',
    'image cospec-sandbox@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    'Cloned acme/web-app (main) in 1.2 s; 3 files changed',
    'installing scikit-learn and task-runner, risk-assessment-for-the-project-2026 done',
    'the agent exited with exit code=1',
    'state: running; tokens: 1234; input_tokens=56 max_tokens=4096',
    '{"token_type":"Bearer","expires_in":7200,"scope":"api read_user"}',
    '{"password_expires_at":null,"two_factor_enabled":false}',
    '{"apiKeyLabel":"Anthropic API key","modelDomains":["api.anthropic.com"]}',
    'Authorization failed: 401 Unauthorized',
    'ssh://git@gitlab.example.com:2222/acme/web.git',
    'https://gitlab.example.com/acme/web-app/-/merge_requests/12?state=opened',
    '{"code":"POLICY_FORBIDS","message":"Your organization allows only its approved agents"}',
    'skip-worktree bit set on 12 files; sk-1 is a section label',
    'AIzaTooShort and eyJnot.a.jwt',
    'https://[::1]:8080/api/v4/projects',
  ];
  it.each(keep)('%s', (text) => {
    expect(scrub(text)).toBe(text);
    expect(scrub(JSON.stringify({ msg: text }))).toBe(JSON.stringify({ msg: text }));
  });
});

describe('logger with the corpus', () => {
  it('writes none of the corpus secrets, in messages, fields or errors', () => {
    const sink = memorySink();
    const logger = createLogger({ sinks: [sink], level: 'debug' });
    for (const [name, secret] of Object.entries(secrets)) {
      logger.info(`${name}: ${secret}`);
      logger.warn('request failed', { response: { body: JSON.stringify({ error: secret }) } });
      logger.error('boom', { error: new Error(`rejected ${secret}`) });
    }
    const all = sink.lines.join('\n');
    for (const [name, secret] of Object.entries(secrets)) expect(all, name).not.toContain(secret);
  });
});
