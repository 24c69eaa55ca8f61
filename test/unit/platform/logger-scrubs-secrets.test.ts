import { describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { scrub } from '../../../src-main/platform/scrub';

const PAT = 'glpat-Ab12Cd34Ef56Gh78Ij90';
const OAUTH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('scrub', () => {
  it('removes GitLab personal access tokens wherever they appear', () => {
    expect(scrub(`token is ${PAT}.`)).toBe('token is [REDACTED].');
    expect(scrub(`x-${PAT}`)).not.toContain(PAT);
  });

  it('removes Authorization and PRIVATE-TOKEN header values', () => {
    expect(scrub(`Authorization: Bearer ${OAUTH}`)).not.toContain(OAUTH);
    expect(scrub(`authorization: Basic b2F1dGgyOnNlY3JldA==`)).not.toContain('b2F1dGgyOnNlY3JldA==');
    expect(scrub(`PRIVATE-TOKEN: ${PAT}`)).not.toContain(PAT);
    expect(scrub(`{"Private-Token":"abcdef123456"}`)).not.toContain('abcdef123456');
  });

  it('removes the password from URLs but keeps the user and host', () => {
    const out = scrub('fetching https://oauth2:s3cr3t-value@gitlab.example.com/acme/web.git');
    expect(out).toBe('fetching https://oauth2:[REDACTED]@gitlab.example.com/acme/web.git');
  });

  it('removes OAuth tokens in JSON bodies and query strings', () => {
    const body = JSON.stringify({ access_token: OAUTH, refresh_token: 'r-' + OAUTH, token_type: 'Bearer' });
    const out = scrub(body);
    expect(out).not.toContain(OAUTH);
    expect(out).toContain('"token_type":"Bearer"');
    expect(scrub(`/callback?code=abc&code_verifier=verifier123456&state=s`)).not.toContain('verifier123456');
  });

  it('removes known secrets verbatim even when they have no recognisable shape', () => {
    expect(scrub('value=zzz plain-looking-secret zzz', ['plain-looking-secret'])).not.toContain('plain-looking-secret');
  });

  it('leaves ordinary text alone', () => {
    const text = 'Cloned acme/web-app (main) in 1.2 s; 3 files changed';
    expect(scrub(text)).toBe(text);
  });
});

describe('logger', () => {
  it('never writes a token, whether in the message, a field, a URL or an Error', () => {
    const sink = memorySink();
    const logger = createLogger({ sinks: [sink], level: 'debug' });
    logger.info(`connecting with ${PAT}`);
    logger.warn('request failed', {
      url: `https://bot:${PAT}@gitlab.local/x.git`,
      headers: { Authorization: `Bearer ${OAUTH}` },
    });
    logger.error('boom', { error: new Error(`401 for token ${PAT}`) });
    logger.child({ account: 'a1' }).debug('token refresh', { response: { access_token: OAUTH } });
    const all = sink.lines.join('\n');
    expect(sink.lines).toHaveLength(4);
    expect(all).not.toContain(PAT);
    expect(all).not.toContain(OAUTH);
    expect(all).toContain('"account":"a1"');
  });

  it('drops lines below the configured level', () => {
    const sink = memorySink();
    createLogger({ sinks: [sink], level: 'warn' }).info('quiet');
    expect(sink.lines).toHaveLength(0);
  });
});
