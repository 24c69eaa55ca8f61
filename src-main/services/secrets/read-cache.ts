import type { SecretStore } from './types';

/*
 * Every GitLab call reads its account's token, and opening a review makes several at once. From the
 * OS keychain each read is a round trip to another process (5 ms on Linux at load 7 with the entry
 * kept, `npm run bench keychain`), made on the keychain's own thread (keychain-thread.ts). So a value
 * read is kept briefly: writes and deletes go through here and replace it at once; a change made by
 * another process (the `cospec` command) is seen within the TTL. Failed reads are not kept.
 */

/** How long a value read from the store is reused. */
export const SECRET_READ_TTL_MS = 30_000;

export function withReadCache(store: SecretStore, options: { ttlMs?: number; now?: () => number } = {}): SecretStore {
  const ttlMs = options.ttlMs ?? SECRET_READ_TTL_MS;
  const now = options.now ?? Date.now;
  const kept = new Map<string, { at: number; value: Promise<string | undefined> }>();
  // Bumped by every write or delete of a key, so a read that started before it is not kept after it.
  const generation = new Map<string, number>();
  const changed = (key: string) => {
    generation.set(key, (generation.get(key) ?? 0) + 1);
    kept.delete(key);
  };
  return {
    get(key) {
      const hit = kept.get(key);
      if (hit && now() - hit.at < ttlMs) return hit.value;
      const seen = generation.get(key) ?? 0;
      const value = store.get(key);
      const entry = { at: now(), value };
      if (seen === (generation.get(key) ?? 0)) kept.set(key, entry);
      value.then(
        () => {
          if ((generation.get(key) ?? 0) !== seen && kept.get(key) === entry) kept.delete(key);
        },
        () => {
          if (kept.get(key) === entry) kept.delete(key);
        },
      );
      return value;
    },
    async set(key, value) {
      changed(key);
      try {
        await store.set(key, value);
      } finally {
        changed(key);
      }
    },
    async delete(key) {
      changed(key);
      try {
        await store.delete(key);
      } finally {
        changed(key);
      }
    },
    describe: () => store.describe(),
  };
}
