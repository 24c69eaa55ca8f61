import { lazy, Suspense } from 'react';
import type { Route } from './navigation';

/**
 * Each screen is its own chunk, so a cold start loads only the screen it shows (the review's
 * diff and highlighting stack comes with the review route alone). loadScreen is also called by
 * app/preload.ts at module start, so the chunk is on its way before React has rendered the shell.
 */
const loaders = {
  integrations: () =>
    import('../features/integrations/GitLabIntegrationScreen').then((m) => ({ default: m.GitLabIntegrationScreen })),
  accounts: () => import('../features/accounts/AccountsScreen').then((m) => ({ default: m.AccountsScreen })),
  repositories: () =>
    import('../features/repositories/RepositoriesScreen').then((m) => ({ default: m.RepositoriesScreen })),
  runs: () => import('../features/runs/RunsScreen').then((m) => ({ default: m.RunsScreen })),
  settings: () => import('../features/settings/SettingsScreen').then((m) => ({ default: m.SettingsScreen })),
  reviews: () => import('../features/review/ReviewListScreen').then((m) => ({ default: m.ReviewListScreen })),
  review: () => import('../features/review/ReviewScreen').then((m) => ({ default: m.ReviewScreen })),
};

/** Starts loading a route's screen chunk; the module system keeps one load per chunk. */
export function loadScreen(name: Route['name']): void {
  void loaders[name]().catch(() => undefined); // a failed load is retried and shown by React.lazy below
}

const GitLabIntegrationScreen = lazy(loaders.integrations);
const AccountsScreen = lazy(loaders.accounts);
const RepositoriesScreen = lazy(loaders.repositories);
const RunsScreen = lazy(loaders.runs);
const SettingsScreen = lazy(loaders.settings);
const ReviewListScreen = lazy(loaders.reviews);
const ReviewScreen = lazy(loaders.review);

function Screen({ route }: { route: Route }) {
  switch (route.name) {
    case 'integrations':
      return <GitLabIntegrationScreen />;
    case 'accounts':
      return <AccountsScreen />;
    case 'repositories':
      return <RepositoriesScreen />;
    case 'runs':
      return <RunsScreen runId={route.runId} />;
    case 'settings':
      return <SettingsScreen />;
    case 'reviews':
      return <ReviewListScreen />;
    case 'review':
      return <ReviewScreen runId={route.runId} mrIid={route.mrIid} />;
  }
}

/**
 * Renders the screen of one route. The fallback is empty on purpose: a chunk from the local app
 * arrives in a few ms, and a spinner shown for one frame would only flash.
 */
export function RouteView({ route }: { route: Route }) {
  return (
    <Suspense fallback={null}>
      <Screen route={route} />
    </Suspense>
  );
}

/** The window title for a route. */
export function routeTitle(route: Route): string {
  const names = {
    integrations: 'GitLab',
    accounts: 'Accounts',
    repositories: 'Repositories',
    settings: 'Settings',
    reviews: 'Reviews',
    runs: 'Runs',
    review: 'Review',
  } as const;
  return `${names[route.name]} · coSPEC`;
}
