import type { Lookup } from './egress-proxy';

/**
 * The egress proxy's name lookups, shared and kept briefly. Every allowed request to a name used
 * to make its own getaddrinfo call on libuv's thread pool (0.4–0.6 ms here against a caching
 * resolver, tens of ms where the OS keeps no cache), and a tool opening many connections at once
 * (a package manager's parallel downloads, git's requests of one fetch) looked the same name up
 * once per connection.
 *
 * getaddrinfo reports no TTL, and a resolver of our own would bypass the OS's hosts file, search
 * domains and VPN split DNS, so an answer is kept for MAX_AGE_MS only: long enough to cover a burst
 * of requests, short enough to sit under any TTL a name is likely to have, so the OS's cache (which
 * honours the TTL) stays the one that decides when an answer is stale. Concurrent lookups of one
 * name share one call; failures are never kept (the next request asks again). The caller still
 * checks every address it gets against the address rules, cached or not (egress-proxy.ts).
 */

export const MAX_AGE_MS = 2_000;
/** Names kept at most; the oldest goes first. A run reaches few names, this only bounds a hostile one. */
export const MAX_NAMES = 256;

export function cachedLookup(lookup: Lookup, now: () => number = () => performance.now()): Lookup {
  const kept = new Map<string, { at: number; answer: Promise<Awaited<ReturnType<Lookup>>> }>();
  return (host) => {
    const hit = kept.get(host);
    if (hit && now() - hit.at < MAX_AGE_MS) return hit.answer.then((a) => a.map((x) => ({ ...x })));
    if (hit) kept.delete(host);
    const answer = lookup(host);
    const entry = { at: now(), answer };
    kept.set(host, entry);
    if (kept.size > MAX_NAMES) kept.delete(kept.keys().next().value as string);
    // A failed lookup is dropped at once, so only a request already waiting on it sees the failure.
    answer.catch(() => {
      if (kept.get(host) === entry) kept.delete(host);
    });
    return answer.then((a) => a.map((x) => ({ ...x })));
  };
}
