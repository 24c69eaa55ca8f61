/**
 * Proxy decisions for one instance: an explicit proxy, else HTTPS_PROXY/NO_PROXY from the
 * environment, else the OS proxy that Electron resolves (a PAC-style answer).
 */

/**
 * Picks the first usable entry of a PAC result such as "PROXY host:8080; DIRECT".
 * undici speaks HTTP(S) proxies only, so SOCKS entries are skipped; undefined means go direct.
 */
export function parsePacResult(pac: string): string | undefined {
  for (const entry of pac.split(';')) {
    const [kind = '', target] = entry.trim().split(/\s+/, 2);
    const type = kind.toUpperCase();
    if (type === 'DIRECT') return undefined;
    if ((type === 'PROXY' || type === 'HTTP') && target) return `http://${target}`;
    if (type === 'HTTPS' && target) return `https://${target}`;
  }
  return undefined;
}

/** NO_PROXY matching as curl and undici do it: "*", exact hosts, ".domain"/"domain" suffixes, optional :port. */
export function matchesNoProxy(host: string, port: string, noProxy: string | undefined): boolean {
  if (!noProxy) return false;
  const hostname = host.toLowerCase();
  for (const raw of noProxy.split(/[,\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry);
    const name = (m?.[1] ?? entry).replace(/^\*?\./, '');
    const entryPort = m?.[2];
    if (entryPort && entryPort !== port) continue;
    if (hostname === name || hostname.endsWith(`.${name}`)) return true;
  }
  return false;
}

export interface ProxyEnv {
  httpsProxy?: string;
  httpProxy?: string;
  noProxy?: string;
}

/** Reads the proxy variables the way curl does (lower case wins). */
export function proxyEnvFrom(env: NodeJS.ProcessEnv): ProxyEnv {
  const pick = (name: string) => env[name.toLowerCase()] || env[name.toUpperCase()] || undefined;
  return { httpsProxy: pick('https_proxy'), httpProxy: pick('http_proxy'), noProxy: pick('no_proxy') };
}

/** Hides proxy credentials for messages and logs. */
export function redactProxyUrl(proxyUrl: string): string {
  try {
    const u = new URL(proxyUrl);
    return `${u.protocol}//${u.host}`;
  } catch {
    return 'the proxy';
  }
}
