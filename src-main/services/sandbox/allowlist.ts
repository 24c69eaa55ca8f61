import { parse as parseDomain } from 'tldts';
import { forbiddenHostReason, formatHost, parseHost } from '../../platform/host';

export { forbiddenAddressReason } from '../../platform/host';

/**
 * The egress allowlist as the proxy applies it: default deny; an entry
 * is an exact host ("gitlab.example.com", "203.0.113.5", "[2001:db8::1]"), a wildcard ("*.pypi.org",
 * which matches sub-domains only, not the apex), each optionally with ":port". Without a port an
 * entry allows the web ports 443 and 80 only, so an allowed name is not a way to reach its SSH or
 * SMTP. Hosts are compared in the one normalised form of src-main/platform/host.ts.
 *
 * Two rules hold for every entry, whoever wrote it:
 * - a wildcard must leave a registrable domain: "*.com", "*.co.uk" or "*.github.io" would let the
 *   agent send data to any site under that public suffix (checked against the Public Suffix List,
 *   private section included, through tldts);
 * - loopback, private, link-local, carrier-grade NAT and metadata destinations are reached only
 *   through entries the admin's policy allows to (`mayReachPrivate`), whether the entry names
 *   such an address or a name resolves to one (DNS rebinding).
 */

export interface AllowEntry {
  /** Normalised host (no brackets), or the suffix after "*." for wildcards. */
  host: string;
  wildcard: boolean;
  port?: number;
}

const WEB_PORTS = new Set([80, 443]);

/** Why a wildcard's base is too broad ("*.com"), or undefined when it leaves a registrable domain. */
function wildcardTooBroad(base: string): string | undefined {
  const info = parseDomain(base, { allowPrivateDomains: true });
  if (info.domain && info.publicSuffix !== base) return undefined;
  return `*.${base} would match every site under the public suffix "${info.publicSuffix ?? base}"; name a domain you trust (like *.example.${base})`;
}

/** Parses one entry, or says why it is not one. Does not judge private destinations (see checkAllowEntry). */
export function parseAllowEntryOrReason(raw: string): { entry: AllowEntry } | { reason: string } {
  const text = raw.trim();
  const bad = { reason: `"${raw}" is not a host, *.domain or host:port` };
  if (!text) return bad;
  let hostPart = text;
  let port: number | undefined;
  const bracketed = /^(\[[^\]]+\])(?::(\d+))?$/.exec(text);
  if (bracketed) {
    hostPart = bracketed[1]!;
    if (bracketed[2]) port = Number(bracketed[2]);
  } else if ((text.match(/:/g) ?? []).length === 1) {
    const [h, p] = text.split(':') as [string, string];
    if (!/^\d{1,5}$/.test(p)) return bad;
    hostPart = h;
    port = Number(p);
  }
  if (port !== undefined && (port < 1 || port > 65535)) return { reason: `"${raw}": ports are 1 to 65535` };
  const wildcard = hostPart.startsWith('*.');
  const host = parseHost(wildcard ? hostPart.slice(2) : hostPart);
  if (!host) return bad;
  if (wildcard && host.kind !== 'name') return { reason: `"${raw}": a wildcard needs a domain name, not an address` };
  if (wildcard) {
    const broad = wildcardTooBroad(host.host);
    if (broad) return { reason: broad };
  }
  return { entry: { host: host.host, wildcard, ...(port !== undefined ? { port } : {}) } };
}

/** Parses one allowlist entry; undefined for entries that cannot be one (syntax, or a wildcard over a public suffix). */
export function parseAllowEntry(raw: string): AllowEntry | undefined {
  const parsed = parseAllowEntryOrReason(raw);
  return 'entry' in parsed ? parsed.entry : undefined;
}

/** The canonical text of an entry ("*.pypi.org", "[2001:db8::1]:443"), as records and policy comparisons use it. */
export function describeEntry(e: AllowEntry): string {
  return `${e.wildcard ? '*.' : ''}${formatHost(e.host)}${e.port ? `:${e.port}` : ''}`;
}

/**
 * Checks an entry a user (settings, a run's `allow`) adds: the syntax, and that it names no
 * loopback, private, link-local or metadata destination unless `allowPrivate`. Returns the canonical
 * text or a reason fit for an error message.
 */
export function checkAllowEntry(raw: string, opts: { allowPrivate: boolean }): { text: string } | { reason: string } {
  const parsed = parseAllowEntryOrReason(raw);
  if ('reason' in parsed) return parsed;
  const { entry } = parsed;
  if (!opts.allowPrivate) {
    const why = forbiddenHostReason(entry.host);
    if (why)
      return {
        reason: `"${raw}" is refused: ${why}. Only your organization's policy can open such destinations to the sandbox.`,
      };
  }
  return { text: describeEntry(entry) };
}

export type AllowMatch =
  { allowed: true; exact: boolean; entry: string; privateOk: boolean } | { allowed: false; reason: string };

export interface Allowlist {
  readonly entries: readonly AllowEntry[];
  /** Whether host:port is on the list, through which entry, and whether that entry may reach private addresses. */
  match(host: string, port: number): AllowMatch;
}

export interface CompileOptions {
  /** Whether an entry (canonical text) may name or resolve to loopback, private or metadata addresses; never by default. */
  mayReachPrivate?: (entry: string) => boolean;
}

export function compileAllowlist(raw: readonly string[], options: CompileOptions = {}): Allowlist {
  const entries = raw.map(parseAllowEntry).filter((e): e is AllowEntry => e !== undefined);
  const privateOk = new Set(entries.map(describeEntry).filter((text) => options.mayReachPrivate?.(text) === true));
  return {
    entries,
    match(rawHost, port) {
      const parsed = parseHost(rawHost);
      if (!parsed) return { allowed: false, reason: `${rawHost.slice(0, 100)} is not a host name or address` };
      const host = parsed.host;
      let portMismatch = false;
      // Exact entries first: they decide whether a private address may be used.
      for (const exactPass of [true, false]) {
        for (const e of entries) {
          if (e.wildcard === exactPass) continue;
          const hostOk = e.wildcard ? parsed.kind === 'name' && host.endsWith('.' + e.host) : host === e.host;
          if (!hostOk) continue;
          if (e.port !== undefined ? e.port === port : WEB_PORTS.has(port)) {
            const text = describeEntry(e);
            return { allowed: true, exact: !e.wildcard, entry: text, privateOk: privateOk.has(text) };
          }
          portMismatch = true;
        }
      }
      return {
        allowed: false,
        reason: portMismatch
          ? `port ${port} is not allowed for ${formatHost(host)}`
          : `${formatHost(host)} is not on the allowlist`,
      };
    },
  };
}
