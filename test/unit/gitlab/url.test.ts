import { describe, expect, it } from 'vitest';
import { normalizeInstanceUrl } from '../../../src-main/services/gitlab/url';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

describe('instance URL normalisation', () => {
  it('strips trailing slashes and a pasted /api/v4, lower-cases the host', () => {
    expect(normalizeInstanceUrl('https://GitLab.Company.com/').instanceUrl).toBe('https://gitlab.company.com');
    expect(normalizeInstanceUrl('https://gitlab.company.com/api/v4/').instanceUrl).toBe('https://gitlab.company.com');
    expect(normalizeInstanceUrl('  https://gitlab.company.com//  ').instanceUrl).toBe('https://gitlab.company.com');
  });

  it('keeps the path of a relative-URL install and the port', () => {
    const n = normalizeInstanceUrl('https://host.example:8443/gitlab/api/v4');
    expect(n).toEqual({
      instanceUrl: 'https://host.example:8443/gitlab',
      host: 'host.example:8443',
      apiBase: 'https://host.example:8443/gitlab/api/v4',
    });
  });

  it('requires a scheme instead of guessing one', () => {
    expect(code(() => normalizeInstanceUrl('gitlab.company.com'))).toBe('INVALID_URL');
  });

  it('refuses http unless explicitly allowed, with INSECURE_URL', () => {
    expect(code(() => normalizeInstanceUrl('http://gitlab.company.com'))).toBe('INSECURE_URL');
    expect(normalizeInstanceUrl('http://gitlab.company.com', { allowHttp: true }).instanceUrl).toBe(
      'http://gitlab.company.com',
    );
  });

  it('refuses other schemes, credentials, queries and garbage with INVALID_URL', () => {
    for (const bad of [
      'ftp://gitlab.company.com',
      'https://user:pw@gitlab.company.com',
      'https://gitlab.company.com/?x=1',
      'https://',
      'https://exa mple.com',
    ]) {
      expect(
        code(() => normalizeInstanceUrl(bad)),
        bad,
      ).toBe('INVALID_URL');
    }
  });
});
