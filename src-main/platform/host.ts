import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';

/**
 * The one form in which the app compares host names: policy instances, the egress allowlist, the
 * credential gateway, accounts' instance URLs and the proxy's CONNECT targets all go through
 * `normaliseHost`. Two spellings of one destination must compare equal, or an allowlist or a
 * "this run's GitLab only" check can be walked around by spelling it differently:
 *
 * - names: lower case, IDN to punycode (node's domainToASCII, the WHATWG URL host parser), one
 *   trailing dot dropped ("Example.COM." is "example.com");
 * - IPv4: every form the URL parser and inet_aton accept (127.1, 2130706433, 0x7f.1, 0177.0.0.1)
 *   becomes dotted decimal;
 * - IPv6: compressed lower-case form without brackets or zone id; an IPv4-mapped address
 *   (::ffff:127.0.0.1, ::ffff:7f00:1) becomes the IPv4 address it reaches.
 */

export type HostKind = 'name' | 'ipv4' | 'ipv6';

export interface NormalHost {
  host: string;
  kind: HostKind;
}

const LABEL = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?$/;

/** The normalised host, or undefined when the text is no host name or IP address. */
export function parseHost(raw: string): NormalHost | undefined {
  let text = raw.trim();
  if (!text || text.length > 300) return undefined;
  const bracketed = /^\[(.*)\]$/.exec(text);
  if (bracketed) text = bracketed[1]!;
  if (text.includes(':')) return parseIpv6(text);
  if (bracketed) return undefined;
  if (/[^\x21-\x7e\u0080-\u{10ffff}]/u.test(text) || /[/?#@\\[\]%]/.test(text)) return undefined;
  if (text.endsWith('.')) text = text.slice(0, -1);
  const ascii = domainToASCII(text);
  if (!ascii) return undefined;
  if (isIP(ascii) === 4) return { host: ascii, kind: 'ipv4' };
  if (ascii.length > 253 || !ascii.split('.').every((l) => l.length <= 63 && LABEL.test(l))) return undefined;
  return { host: ascii, kind: 'name' };
}

/** `parseHost(raw)?.host`: for comparisons where a malformed host simply matches nothing. */
export function normaliseHost(raw: string): string | undefined {
  return parseHost(raw)?.host;
}

/** A host as it is written in a URL or an allowlist entry: IPv6 in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function parseIpv6(text: string): NormalHost | undefined {
  // A zone id (fe80::1%eth0, or %25eth0 as URLs write it) names an interface, not another host.
  const withoutZone = text.replace(/%(25)?[A-Za-z0-9_.~-]+$/, '');
  if (isIP(withoutZone) !== 6) return undefined;
  let host: string;
  try {
    host = new URL(`http://[${withoutZone}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return { host: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, kind: 'ipv4' };
  }
  return { host, kind: 'ipv6' };
}

/**
 * Addresses a sandbox must not reach unless the admin's policy names them: loopback, unspecified,
 * private, carrier-grade NAT, link-local (which carries cloud metadata at 169.254.169.254), IPv6
 * unique-local and site-local, multicast, broadcast, translation and documentation ranges — what a
 * sandbox could use to reach this machine, the user's network or the cloud account it runs in.
 */
const forbidden = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  forbidden.addSubnet(net, bits, 'ipv4');
for (const [net, bits] of [
  // ::/96 holds ::, ::1 and the deprecated IPv4-compatible addresses.
  ['::', 96],
  ['fe80::', 10],
  ['fc00::', 7],
  ['fec0::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2001:db8::', 32],
  // 6to4 (2002::/16) and Teredo (2001::/32) carry IPv4 addresses a relay would reach.
  ['2002::', 16],
  ['2001::', 32],
] as const)
  forbidden.addSubnet(net, bits, 'ipv6');

const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', 'fd00:ec2::254', '100.100.100.200']);

/** Why an IP address is off limits for the sandbox, or undefined for a public address. */
export function forbiddenAddressReason(address: string): string | undefined {
  const parsed = parseHost(address);
  if (!parsed || parsed.kind === 'name') return 'not an IP address';
  const ip = parsed.host;
  if (METADATA_ADDRESSES.has(ip)) return `${ip} is a cloud metadata address`;
  if (!forbidden.check(ip, parsed.kind)) return undefined;
  if (/^127\./.test(ip) || ip === '::1') return `${ip} is a loopback address`;
  if (/^169\.254\./.test(ip) || /^fe[89ab]/.test(ip)) return `${ip} is a link-local address`;
  if (/^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./.test(ip)) return `${ip} is a carrier-grade NAT address`;
  return `${ip} is a private or reserved address`;
}

/** Names that reach this machine, the local network or a cloud metadata service by definition. */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
]);
const LOCAL_SUFFIXES = ['localhost', 'local', 'internal', 'home.arpa', 'localdomain', 'lan', 'intranet', 'arpa'];

/**
 * Why a host name (normalised) is off limits for the sandbox without the admin's say-so, or
 * undefined. A name without a dot is resolved through search domains to the local network.
 */
export function forbiddenNameReason(name: string): string | undefined {
  if (METADATA_NAMES.has(name)) return `${name} is a cloud metadata service`;
  if (name === 'localhost' || name.endsWith('.localhost')) return `${name} is this machine (loopback)`;
  if (!name.includes('.')) return `${name} is a single-label name, which resolves on the local network`;
  const suffix = LOCAL_SUFFIXES.find((s) => name === s || name.endsWith(`.${s}`));
  if (suffix) return `${name} is a local-network name (.${suffix})`;
  return undefined;
}

/** Why a host (any spelling) names a loopback, private, link-local or metadata destination, or undefined. */
export function forbiddenHostReason(raw: string): string | undefined {
  const parsed = parseHost(raw);
  if (!parsed) return `${raw} is not a host name or IP address`;
  return parsed.kind === 'name' ? forbiddenNameReason(parsed.host) : forbiddenAddressReason(parsed.host);
}
