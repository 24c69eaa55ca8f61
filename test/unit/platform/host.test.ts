import { describe, expect, it } from 'vitest';
import { forbiddenAddressReason, forbiddenHostReason, normaliseHost, parseHost } from '../../../src-main/platform/host';

/** Every spelling of one destination must come out the same, or a comparison can be walked around. */
describe('host normalisation', () => {
  it.each([
    ['GitLab.Example.COM', 'gitlab.example.com'],
    ['gitlab.example.com.', 'gitlab.example.com'],
    ['  gitlab.example.com ', 'gitlab.example.com'],
    ['BÜCHER.de', 'xn--bcher-kva.de'],
    ['xn--bcher-kva.de.', 'xn--bcher-kva.de'],
    ['ｅｘａｍｐｌｅ.com', 'example.com'],
  ])('names: %s → %s', (raw, want) => expect(normaliseHost(raw)).toBe(want));

  const loopbackV4 = [
    '127.0.0.1',
    '127.1',
    '127.0.1',
    '2130706433',
    '0x7f000001',
    '0x7f.1',
    '0x7F.0.0.1',
    '0177.0.0.1',
    '0177.1',
    '017700000001',
    '127.0.0.1.',
    '[::ffff:127.0.0.1]',
    '::ffff:7f00:1',
    '[0:0:0:0:0:ffff:7f00:1]',
  ];
  it.each(loopbackV4)('IPv4 forms: %s is 127.0.0.1', (raw) => expect(normaliseHost(raw)).toBe('127.0.0.1'));

  it.each(['::1', '[::1]', '0:0:0:0:0:0:0:1', '[0000::0001]', '::0:1'])('IPv6 forms: %s is ::1', (raw) =>
    expect(normaliseHost(raw)).toBe('::1'),
  );

  it('drops zone ids and brackets and lower-cases IPv6', () => {
    expect(normaliseHost('fe80::1%eth0')).toBe('fe80::1');
    expect(normaliseHost('[fe80::1%25eth0]')).toBe('fe80::1');
    expect(normaliseHost('[FD00:EC2:0:0:0:0:0:254]')).toBe('fd00:ec2::254');
  });

  it.each([
    '',
    '.',
    'a..b',
    'exa mple.com',
    'ex/ample.com',
    'user@host',
    'host:80',
    '[not-v6]',
    '1.2.3.4.5',
    'foo.123',
  ])('refuses %j', (raw) => expect(parseHost(raw)).toBeUndefined());
});

describe('forbidden destinations', () => {
  it.each([
    ...[
      '127.0.0.1',
      '127.1',
      '2130706433',
      '0x7f.1',
      '0177.0.0.1',
      '[::ffff:127.0.0.1]',
      '::1',
      '[0:0:0:0:0:0:0:1]',
      'localhost',
      'LOCALHOST.',
      'app.localhost',
    ].map((h) => [h, /loopback/] as const),
    ...[
      '169.254.169.254',
      '0251.0376.0251.0376',
      '2852039166',
      '0xa9fea9fe',
      '[::ffff:169.254.169.254]',
      'fd00:ec2::254',
      '[FD00:EC2::0254]',
      'metadata.google.internal',
      'metadata.google.internal.',
      'METADATA.GOOGLE.INTERNAL',
      'metadata',
      '100.100.100.200',
    ].map((h) => [h, /metadata/] as const),
    ...['169.254.1.1', 'fe80::1%eth0'].map((h) => [h, /link-local/] as const),
    ...['100.64.0.1', '100.127.255.254'].map((h) => [h, /carrier-grade NAT/] as const),
    ...[
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      'fd12::1',
      '0.0.0.0',
      '0',
      '::',
      '2002:7f00:1::',
      '64:ff9b::7f00:1',
    ].map((h) => [h, /private or reserved/] as const),
    ...['gitlab', 'printer.local', 'db.corp.internal', 'router.home.arpa'].map(
      (h) => [h, /single-label|local-network/] as const,
    ),
  ])('%s is refused (%s)', (raw, why) => expect(forbiddenHostReason(raw)).toMatch(why));

  it.each(['gitlab.com', 'pypi.org', '93.184.216.34', '2606:4700::1111', '100.128.0.1'])('%s is public', (raw) =>
    expect(forbiddenHostReason(raw)).toBeUndefined(),
  );

  it('judges resolved addresses in any spelling', () => {
    expect(forbiddenAddressReason('::ffff:7f00:1')).toMatch(/loopback/);
    expect(forbiddenAddressReason('example.com')).toBe('not an IP address');
  });
});
