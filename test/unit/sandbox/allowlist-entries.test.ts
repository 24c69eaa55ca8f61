import { describe, expect, it } from 'vitest';
import { checkAllowEntry, compileAllowlist, parseAllowEntry } from '../../../src-main/services/sandbox/allowlist';

/**
 * What a user can put on a run's allowlist. Every spelling of loopback, private networks and cloud
 * metadata is refused without the policy's say-so, and a wildcard must leave a registrable domain.
 */
const userEntry = (raw: string) => checkAllowEntry(raw, { allowPrivate: false });

describe('allowlist entries a user adds', () => {
  it.each([
    'localhost',
    'localhost:8080',
    'LocalHost.',
    '*.localhost',
    '127.0.0.1',
    '127.1:22',
    '2130706433',
    '0x7f.0.0.1',
    '0177.0.0.01',
    '[::1]',
    '[0:0:0:0:0:0:0:1]:443',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]:80',
    '169.254.169.254',
    '0251.0376.0251.0376',
    '2852039166',
    '[fd00:ec2::254]',
    '[fe80::1%25eth0]',
    'metadata.google.internal',
    'metadata.google.internal.',
    '*.google.internal',
    'metadata',
    '10.0.0.5',
    '192.168.1.1:5000',
    '172.20.0.1',
    '100.64.0.1',
    '0.0.0.0',
    '[fd12:3456::1]',
    'nas.local',
  ])('refuses %s', (raw) => {
    const r = userEntry(raw);
    expect('reason' in r && r.reason, raw).toMatch(/refused|single-label|local-network|public suffix/);
  });

  it.each(['*.com', '*.co.uk', '*.github.io', '*.s3.amazonaws.com', '*.COM.', '*.xn--p1ai'])(
    'refuses the wildcard %s, which covers a public suffix',
    (raw) => {
      const r = userEntry(raw);
      expect('reason' in r && r.reason).toMatch(/public suffix/);
      // The proxy itself would not apply it either, whoever wrote it.
      expect(parseAllowEntry(raw)).toBeUndefined();
    },
  );

  it.each([
    ['PyPI.org', 'pypi.org'],
    ['*.pypi.org', '*.pypi.org'],
    ['*.example.co.uk', '*.example.co.uk'],
    ['registry.npmjs.org.:443', 'registry.npmjs.org:443'],
    ['BÜCHER.de', 'xn--bcher-kva.de'],
    ['93.184.216.34', '93.184.216.34'],
    ['[2606:4700:0::1111]:443', '[2606:4700::1111]:443'],
  ])('accepts %s as %s', (raw, text) => expect(userEntry(raw)).toEqual({ text }));

  it('lets the policy open private destinations explicitly', () => {
    expect(checkAllowEntry('10.0.0.5:5000', { allowPrivate: true })).toEqual({ text: '10.0.0.5:5000' });
    // Never a wildcard over a public suffix, even then.
    expect(checkAllowEntry('*.com', { allowPrivate: true })).toHaveProperty('reason');
  });
});

describe('allowlist matching', () => {
  const list = compileAllowlist(['gitlab.corp.example:443', '*.pypi.org', '10.0.0.5:5000', '[2606:4700::1111]'], {
    mayReachPrivate: (e) => e === '10.0.0.5:5000',
  });

  it.each([
    ['GITLAB.corp.example.', 443],
    ['gitlab.corp.example', 443],
    ['files.PyPI.org.', 443],
    ['10.0.0.5', 5000],
    ['167772165', 5000],
    ['012.0.0.5', 5000],
    ['::ffff:10.0.0.5', 5000],
    ['2606:4700:0:0:0:0:0:1111', 443],
  ])('matches %s:%d in any spelling', (host, port) => expect(list.match(host, port).allowed).toBe(true));

  it('says which entries may reach private addresses', () => {
    expect(list.match('0xa.0.0.5', 5000)).toMatchObject({ allowed: true, privateOk: true });
    expect(list.match('files.pypi.org', 443)).toMatchObject({ allowed: true, privateOk: false });
  });

  it.each([
    ['gitlab.corp.example', 80],
    ['pypi.org', 443],
    ['evilpypi.org', 443],
    ['10.0.0.5', 443],
    ['10.0.0.6', 5000],
  ])('does not match %s:%d', (host, port) => expect(list.match(host, port).allowed).toBe(false));
});
