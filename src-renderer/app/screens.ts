import type { Route } from './navigation';

/**
 * Each screen is its own chunk, so a cold start loads only the screen it shows (the review's diff
 * and highlighting stack comes with the review route alone). No React here: main.tsx, the first few
 * kB of the renderer, starts the first route's chunk with loadScreen before React has loaded, and
 * Routes.tsx renders a screen that has arrived without suspending (./Routes.tsx says why).
 */
const loaders = {
  integrations: () => import('../features/integrations/GitLabIntegrationScreen').then((m) => m.GitLabIntegrationScreen),
  accounts: () => import('../features/accounts/AccountsScreen').then((m) => m.AccountsScreen),
  repositories: () => import('../features/repositories/RepositoriesScreen').then((m) => m.RepositoriesScreen),
  runs: () => import('../features/runs/RunsScreen').then((m) => m.RunsScreen),
  settings: () => import('../features/settings/SettingsScreen').then((m) => m.SettingsScreen),
  reviews: () => import('../features/review/ReviewListScreen').then((m) => m.ReviewListScreen),
  review: () => import('../features/review/ReviewScreen').then((m) => m.ReviewScreen),
};

/** Every route has a screen: a route without a loader above does not type-check. */
export type ScreenName = Route['name'];
export type ScreenOf<N extends ScreenName> = Awaited<ReturnType<(typeof loaders)[N]>>;

const loading = new Map<ScreenName, Promise<unknown>>();
const loaded = new Map<ScreenName, unknown>();

/** Loads a route's screen chunk once (a failed load is forgotten, so the next call tries again). */
export function loadScreen<N extends ScreenName>(name: N): Promise<ScreenOf<N>> {
  let promise = loading.get(name);
  if (!promise) {
    promise = loaders[name]().then(
      (screen) => {
        loaded.set(name, screen);
        return screen;
      },
      (error: unknown) => {
        loading.delete(name);
        throw error;
      },
    );
    loading.set(name, promise);
  }
  return promise as Promise<ScreenOf<N>>;
}

/** The screen's component if its chunk has arrived. */
export function loadedScreen<N extends ScreenName>(name: N): ScreenOf<N> | undefined {
  return loaded.get(name) as ScreenOf<N> | undefined;
}
