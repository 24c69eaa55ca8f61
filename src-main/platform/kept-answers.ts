/**
 * Answers kept for a short while per key and shared by everyone who asks meanwhile: the one place
 * the app keeps short-lived answers of slow sources (the egress proxy's name lookups, keychain
 * reads, GitLab's project records for review). Callers asking while an answer is on its way share
 * that one request. A failed answer is dropped as soon as it fails, so only callers already waiting
 * see the failure and the next one asks again. `forget` drops a key at once (its value was just
 * written or removed); an answer still on its way is then not kept either.
 */
export interface KeptAnswers<V> {
  get(key: string, ask: () => Promise<V>): Promise<V>;
  forget(key: string): void;
}

export function keptAnswers<V>(options: {
  ttlMs: number;
  /** Keys kept at most; the oldest goes first. */
  maxKeys?: number;
  now?: () => number;
}): KeptAnswers<V> {
  const now = options.now ?? (() => performance.now());
  const kept = new Map<string, { at: number; value: Promise<V> }>();
  return {
    get(key, ask) {
      const hit = kept.get(key);
      if (hit && now() - hit.at < options.ttlMs) return hit.value;
      kept.delete(key);
      const value = ask();
      const entry = { at: now(), value };
      kept.set(key, entry);
      if (options.maxKeys !== undefined && kept.size > options.maxKeys) kept.delete(kept.keys().next().value as string);
      value.catch(() => {
        if (kept.get(key) === entry) kept.delete(key);
      });
      return value;
    },
    forget(key) {
      kept.delete(key);
    },
  };
}
