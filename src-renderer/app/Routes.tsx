import { lazy, Suspense } from 'react';
import type { Route } from './navigation';
import { loadedScreen, loadScreen, type ScreenName, type ScreenOf } from './screens';

/**
 * A screen as a lazy component that does not suspend when its chunk is already there: React.lazy
 * takes the value of a thenable that calls back at once, and main.tsx renders the app only once
 * the first route's chunk has arrived. A suspended screen would cost more than its chunk: React
 * reveals content that resolves within 300 ms of a Suspense fallback only at the end of those 300 ms.
 */
function screen<N extends ScreenName>(name: N): Promise<{ default: ScreenOf<N> }> {
  const ready = loadedScreen(name);
  if (ready) return settled({ default: ready });
  return loadScreen(name).then((component) => ({ default: component }));
}

/** A thenable that calls back at once, where a settled Promise would call back only after this task. */
function settled<T>(value: T): Promise<T> {
  return { then: (resolve: (v: T) => void) => resolve(value) } as unknown as Promise<T>;
}

const GitLabIntegrationScreen = lazy(() => screen('integrations'));
const AccountsScreen = lazy(() => screen('accounts'));
const RepositoriesScreen = lazy(() => screen('repositories'));
const RunsScreen = lazy(() => screen('runs'));
const SettingsScreen = lazy(() => screen('settings'));
const ReviewListScreen = lazy(() => screen('reviews'));
const ReviewScreen = lazy(() => screen('review'));

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
