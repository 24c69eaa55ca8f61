import { hasBridge, queryClient } from '../api/client';
import { prefetchReview } from '../api/review';
import { prefetchRuns } from '../api/runs';
import { parseRoute } from './navigation';
import { loadScreen } from './Routes';

/**
 * Called once at module start (main.tsx), before React renders anything: fetches the first route's
 * screen chunk and asks main for that screen's data, so neither waits for the shell to mount.
 * The queries are the screens' own (api/*.ts), so the mounted screen reads the answer from the cache.
 */
export function preloadFirstRoute(hash: string): void {
  if (!hasBridge()) return;
  const route = parseRoute(hash);
  loadScreen(route.name);
  if (route.name === 'runs') void prefetchRuns(queryClient);
  if (route.name === 'review') void prefetchReview(queryClient, { runId: route.runId, mrIid: route.mrIid });
}
