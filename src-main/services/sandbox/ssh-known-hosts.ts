import { createHash, createHmac } from 'node:crypto';

/**
 * OpenSSH known_hosts checking for the remote engine's ssh connection (ssh2 verifies nothing by
 * itself). Follows sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT": comma-separated patterns with `*`/`?`
 * wildcards and `!` negation, hashed `|1|salt|hmac` names, `[host]:port` for ports other than 22,
 * and `@revoked` lines. `@cert-authority` lines are skipped: ssh2 cannot check host certificates.
 */

export interface KnownHostKey {
  /** The key's algorithm name as written in the file, e.g. ssh-ed25519. */
  type: string;
  /** The base64 public key blob, exactly as OpenSSH writes it. */
  key: string;
  /** 1-based line number, for messages. */
  line: number;
  revoked: boolean;
}

export type HostKeyVerdict =
  | { ok: true; line: number }
  | { ok: false; reason: 'unknown' }
  | { ok: false; reason: 'mismatch'; lines: number[] }
  | { ok: false; reason: 'revoked'; line: number };

/** The name OpenSSH looks up and writes: `host` on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return port === 22 ? bare : `[${bare}]:${port}`;
}

function wildcardMatches(pattern: string, name: string): boolean {
  const source = pattern
    .toLowerCase()
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(name);
}

/** `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`, as written with HashKnownHosts yes or `ssh-keygen -H`. */
function hashedMatches(field: string, name: string): boolean {
  const parts = field.split('|');
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2] ?? '', 'base64');
  const expected = parts[3] ?? '';
  return createHmac('sha1', salt).update(name).digest('base64') === expected;
}

/** Whether a line's host field names `name`: any positive pattern matches and no negated one does. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatches(field, name);
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (wildcardMatches(pattern.slice(1), name)) return false;
    } else if (wildcardMatches(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The keys that known_hosts text lists for host:port. */
export function keysForHost(text: string, host: string, port: number): KnownHostKey[] {
  const name = knownHostName(host, port);
  const keys: KnownHostKey[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) return;
    let revoked = false;
    if (fields[0].startsWith('@')) {
      if (fields[0] !== '@revoked') return; // @cert-authority: not supported, see above
      revoked = true;
      fields.shift();
    }
    const [hosts, type, key] = fields;
    if (!hosts || !type || !key) return;
    if (hostFieldMatches(hosts, name)) keys.push({ type, key, line: index + 1, revoked });
  });
  return keys;
}

/** Checks the key the server presented (its wire-format blob) against the listed keys. */
export function verifyHostKey(keys: KnownHostKey[], presented: Buffer): HostKeyVerdict {
  const presentedBase64 = presented.toString('base64');
  const revoked = keys.find((k) => k.revoked && k.key === presentedBase64);
  if (revoked) return { ok: false, reason: 'revoked', line: revoked.line };
  const trusted = keys.filter((k) => !k.revoked);
  const match = trusted.find((k) => k.key === presentedBase64);
  if (match) return { ok: true, line: match.line };
  if (trusted.length === 0) return { ok: false, reason: 'unknown' };
  return { ok: false, reason: 'mismatch', lines: trusted.map((k) => k.line) };
}

/** The algorithm name inside a wire-format public key blob (a uint32 length, then the name). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** The fingerprint `ssh-keygen -lf` and `ssh` print: SHA256:base64-without-padding. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * The host key algorithms to offer so the server presents a key type the file knows (as OpenSSH
 * does); otherwise a host with several keys could present an unlisted type and look "changed".
 */
export function hostKeyAlgorithmsFor(keys: KnownHostKey[]): string[] | undefined {
  const byType: Record<string, string[]> = {
    'ssh-ed25519': ['ssh-ed25519'],
    'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
    'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
    'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
    'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  };
  const algorithms = [...new Set(keys.filter((k) => !k.revoked).flatMap((k) => byType[k.type] ?? []))];
  return algorithms.length > 0 ? algorithms : undefined;
}
