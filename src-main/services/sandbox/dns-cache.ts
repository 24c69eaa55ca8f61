import { keptAnswers } from '../../platform/kept-answers';
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
 * name share one call; failures are never kept, the next request asks again (kept-answers.ts). The
 * caller still checks every address it gets against the address rules, cached or not
 * (egress-proxy.ts).
 */

export const MAX_AGE_MS = 2_000;
/** Names kept at most; the oldest goes first. A run reaches few names, this only bounds a hostile one. */
export const MAX_NAMES = 256;

export function cachedLookup(lookup: Lookup, now: () => number = () => performance.now()): Lookup {
  const kept = keptAnswers<Awaited<ReturnType<Lookup>>>({ ttlMs: MAX_AGE_MS, maxKeys: MAX_NAMES, now });
  // Each caller gets copies: the kept answer is never handed out where it could be changed.
  return (host) => kept.get(host, () => lookup(host)).then((a) => a.map((x) => ({ ...x })));
}
