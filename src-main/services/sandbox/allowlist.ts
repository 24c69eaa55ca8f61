import { BlockList, isIP } from 'node:net';

/**
 * The egress allowlist as the proxy applies it (issue 5, "Egress allowlist"): default deny; an entry
 * is an exact host ("gitlab.example.com", "10.0.0.5", "[fd00::1]"), a wildcard ("*.pypi.org", which
 * matches sub-domains only, not the apex), each optionally with ":port". Without a port an entry
 * allows the web ports 443 and 80 only, so an allowed name is not a way to reach its SSH or SMTP.
 */

export interface AllowEntry {
  /** Lower-case host without brackets, or the suffix after "*." for wildcards. */
  host: string;
  wildcard: boolean;
  port?: number;
}

const WEB_PORTS = new Set([80, 443]);

/** Lower-cases, strips IPv6 brackets and a trailing dot, so "Example.COM." and "example.com" compare equal. */
export function normaliseHost(host: string): string {
  return host
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/** Parses one allowlist entry; undefined for entries that cannot be an allowlist host. */
export function parseAllowEntry(raw: string): AllowEntry | undefined {
  const text = raw.trim().toLowerCase();
  if (!text) return undefined;
  let hostPart = text;
  let port: number | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    hostPart = bracketed[1]!;
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const [h, p] = text.split(':') as [string, string];
    if (!/^\d+$/.test(p)) return undefined;
    hostPart = h;
    port = Number(p);
  }
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  const wildcard = hostPart.startsWith('*.');
  const host = normaliseHost(wildcard ? hostPart.slice(2) : hostPart);
  if (!host || (!isIP(host) && !/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(host)))
    return undefined;
  if (wildcard && isIP(host)) return undefined;
  return { host, wildcard, ...(port !== undefined ? { port } : {}) };
}

export type AllowMatch = { allowed: true; exact: boolean; entry: string } | { allowed: false; reason: string };

export interface Allowlist {
  readonly entries: readonly AllowEntry[];
  /** Whether host:port is on the list, and whether through an exact (non-wildcard) entry. */
  match(host: string, port: number): AllowMatch;
}

export function compileAllowlist(raw: readonly string[]): Allowlist {
  const entries = raw.map(parseAllowEntry).filter((e): e is AllowEntry => e !== undefined);
  const describe = (e: AllowEntry) =>
    `${e.wildcard ? '*.' : ''}${e.host.includes(':') ? `[${e.host}]` : e.host}${e.port ? `:${e.port}` : ''}`;
  return {
    entries,
    match(rawHost, port) {
      const host = normaliseHost(rawHost);
      let portMismatch = false;
      // Exact entries first: they decide whether a forbidden address may be used.
      for (const exactPass of [true, false]) {
        for (const e of entries) {
          if (e.wildcard === exactPass) continue;
          const hostOk = e.wildcard ? host.endsWith('.' + e.host) && !isIP(host) : host === e.host;
          if (!hostOk) continue;
          if (e.port !== undefined ? e.port === port : WEB_PORTS.has(port))
            return { allowed: true, exact: !e.wildcard, entry: describe(e) };
          portMismatch = true;
        }
      }
      return {
        allowed: false,
        reason: portMismatch ? `port ${port} is not allowed for ${host}` : `${host} is not on the allowlist`,
      };
    },
  };
}

/**
 * Addresses a name must not resolve to unless that exact host is listed: loopback, unspecified,
 * link-local (which carries cloud metadata at 169.254.169.254), private and carrier-grade NAT ranges,
 * IPv6 unique-local and site-local, multicast and broadcast — what a sandbox could use to reach the
 * host or the user's network.
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
  ['::', 128],
  ['::1', 128],
  ['fe80::', 10],
  ['fc00::', 7],
  ['fec0::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
  ['2001:db8::', 32],
] as const)
  forbidden.addSubnet(net, bits, 'ipv6');

/** Why an address is off limits for a name matched only by a wildcard, or undefined when it is a public address. */
export function forbiddenAddressReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return forbiddenAddressReason(mapped[1]!);
  if (family === 4 ? forbidden.check(address, 'ipv4') : forbidden.check(address, 'ipv6')) {
    if (address === '169.254.169.254' || address.toLowerCase() === 'fd00:ec2::254')
      return `${address} is a cloud metadata address`;
    if (/^127\./.test(address) || address === '::1') return `${address} is a loopback address`;
    if (/^169\.254\./.test(address) || /^fe[89ab]/i.test(address)) return `${address} is a link-local address`;
    return `${address} is a private or reserved address`;
  }
  return undefined;
}
