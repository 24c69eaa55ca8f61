import { keptAnswers } from '../../platform/kept-answers';
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
  const kept = keptAnswers<string | undefined>({
    ttlMs: options.ttlMs ?? SECRET_READ_TTL_MS,
    now: options.now ?? Date.now,
  });
  // Forgotten before a write or delete (no read from before it is reused) and after it (no read
  // made while it was under way is kept).
  const changing = async (key: string, change: () => Promise<void>) => {
    kept.forget(key);
    try {
      await change();
    } finally {
      kept.forget(key);
    }
  };
  return {
    get: (key) => kept.get(key, () => store.get(key)),
    set: (key, value) => changing(key, () => store.set(key, value)),
    delete: (key) => changing(key, () => store.delete(key)),
    describe: () => store.describe(),
  };
}
