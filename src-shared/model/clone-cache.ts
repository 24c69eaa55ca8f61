import { z } from 'zod';

/**
 * The bound on the per-project clone cache (src-main/services/git/clone-cache.ts), in GiB: the
 * settings file, the IPC contract and the default all take it from here.
 */
export const CloneCacheMaxGbSchema = z.number().int().min(1).max(1024);
export const DEFAULT_CLONE_CACHE_GB = 5;
