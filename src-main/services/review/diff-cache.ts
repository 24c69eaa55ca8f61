/*
 * The local diff between two commits never changes: commits are named by their content, and the
 * diff's options and size limits are fixed for the service's lifetime (local-diff.ts). So what
 * get() computed for a base..head pair is kept, and opening the same merge request again (a page
 * reload, the review reopened from its run, a second window) answers without a git process. A new
 * push changes the head and with it the key. Kept per mirror (account and project), as the mirror
 * itself is: one account's cached diff is never served for another account's call.
 */

export interface DiffCacheOptions {
  /** How many diffs are kept; the least recently used goes first. */
  entries: number;
  /** A diff with more files than this is not kept: it would hold its list in memory for little gain. */
  maxFiles: number;
}

export const DEFAULT_DIFF_CACHE: DiffCacheOptions = { entries: 8, maxFiles: 10_000 };

export interface DiffCacheKey {
  accountId: string;
  projectId: number;
  baseSha: string;
  headSha: string;
}

export interface DiffCache<T extends { files: readonly unknown[] }> {
  /** The diff kept for this pair, if any (it becomes the most recently used). */
  get(key: DiffCacheKey): T | undefined;
  /** Keeps a diff that was computed for exactly this pair. */
  set(key: DiffCacheKey, value: T): void;
  /** Forgets every diff. */
  clear(): void;
}

export function createDiffCache<T extends { files: readonly unknown[] }>(
  options: DiffCacheOptions = DEFAULT_DIFF_CACHE,
): DiffCache<T> {
  const kept = new Map<string, T>();
  const keyOf = (k: DiffCacheKey) => JSON.stringify([k.accountId, k.projectId, k.baseSha, k.headSha]);
  return {
    get(key) {
      const k = keyOf(key);
      const value = kept.get(k);
      if (value === undefined) return undefined;
      kept.delete(k);
      kept.set(k, value);
      return value;
    },
    set(key, value) {
      if (options.entries <= 0 || value.files.length > options.maxFiles) return;
      const k = keyOf(key);
      kept.delete(k);
      kept.set(k, value);
      while (kept.size > options.entries) {
        const oldest = kept.keys().next().value;
        if (oldest === undefined) break;
        kept.delete(oldest);
      }
    },
    clear: () => kept.clear(),
  };
}
