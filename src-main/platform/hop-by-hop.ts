/**
 * Header names that concern one connection only (RFC 9110 §7.6.1, plus the proxy ones and
 * Transfer-Encoding, which each hop frames for itself): a proxy or gateway never forwards them,
 * either way. The one list for the egress proxy and the credential gateway.
 */
export const HOP_BY_HOP: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

/** The hop-by-hop names plus those a message's Connection header lists (lower case). */
export function hopByHopNames(connection: string | readonly string[] | undefined): Set<string> {
  const names = new Set(HOP_BY_HOP);
  for (const value of typeof connection === 'string' ? [connection] : (connection ?? [])) {
    for (const name of value.split(',')) {
      const n = name.trim().toLowerCase();
      if (n) names.add(n);
    }
  }
  return names;
}
