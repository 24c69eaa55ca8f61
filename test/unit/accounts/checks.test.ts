import { describe, expect, it } from 'vitest';
import { assertUsablePat, isBotAccount, warningsFor } from '../../../src-main/services/accounts/checks';

const now = new Date('2026-11-25T08:00:00Z');
const user = (username: string, bot?: boolean) => ({ id: 1, username, name: username, bot });
const pat = {
  id: 1,
  name: 'coSPEC',
  revoked: false,
  active: true,
  scopes: ['api', 'read_user'],
  expires_at: '2027-06-01',
};

describe('account checks', () => {
  it('treats GitLab bots and users named *-bot / *_bot as dedicated accounts, not names merely containing "bot"', () => {
    expect(isBotAccount(user('project_5_bot_abc', true))).toBe(true);
    expect(isBotAccount(user('cospec-bot'))).toBe(true);
    expect(isBotAccount(user('ci_bot'))).toBe(true);
    expect(isBotAccount(user('bot-deployer'))).toBe(true);
    expect(isBotAccount(user('alice'))).toBe(false);
    expect(isBotAccount(user('abbott'))).toBe(false);
    expect(isBotAccount(user('robotics'))).toBe(false);
  });

  it('warns about a personal account, a token expiring within 7 days, and a token without expiry', () => {
    const codes = (w: Array<{ code: string }>) => w.map((x) => x.code).sort();
    const base = { scopes: ['api', 'read_user'], kind: 'pat' as const, instanceUrl: 'https://g', now };
    expect(codes(warningsFor({ ...base, user: user('alice'), expiresAt: '2026-11-30' }))).toEqual([
      'PERSONAL_ACCOUNT',
      'TOKEN_EXPIRES_SOON',
    ]);
    expect(codes(warningsFor({ ...base, user: user('cospec-bot', true), expiresAt: '2027-11-30' }))).toEqual([]);
    expect(codes(warningsFor({ ...base, user: user('cospec-bot', true), expiresAt: null }))).toEqual(['NO_EXPIRY']);
    expect(
      codes(
        warningsFor({
          ...base,
          user: user('cospec-bot', true),
          expiresAt: '2027-01-01',
          instanceUrl: 'http://g',
          scopes: ['api', 'read_user', 'sudo'],
        }),
      ),
    ).toEqual(['EXTRA_SCOPES', 'INSECURE_HTTP']);
  });

  it('refuses revoked, expired and under-scoped tokens with distinct codes', () => {
    const code = (p: typeof pat) => {
      try {
        assertUsablePat(p, 'g', now);
        return 'ok';
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(code(pat)).toBe('ok');
    expect(code({ ...pat, revoked: true, active: false })).toBe('TOKEN_REVOKED');
    expect(code({ ...pat, expires_at: '2026-11-24', active: false })).toBe('TOKEN_EXPIRED');
    expect(code({ ...pat, expires_at: '2026-11-25' })).toBe('ok'); // valid through its last day
    expect(code({ ...pat, scopes: ['read_user'] })).toBe('MISSING_SCOPE');
  });
});
