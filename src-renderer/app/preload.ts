import { hasBridge, queryClient } from '../api/client';
import { prefetchReview } from '../api/review';
import { prefetchRuns } from '../api/runs';
import { parseRoute } from './navigation';

/**
 * Called once when the app starts (start.tsx), before React renders anything: puts the first route's
 * data in the screens' own queries (api/*.ts) — the answers to the calls main.tsx already started
 * (api/early.ts) — so the mounted screen reads them from the cache.
 */
export function preloadFirstRoute(hash: string): void {
  if (!hasBridge()) return;
  const route = parseRoute(hash);
  if (route.name === 'runs') void prefetchRuns(queryClient);
  if (route.name === 'review') void prefetchReview(queryClient, { runId: route.runId, mrIid: route.mrIid });
}
