import { GitLabIntegrationScreen } from '../features/integrations/GitLabIntegrationScreen';
import { AccountsScreen } from '../features/accounts/AccountsScreen';
import { RepositoriesScreen } from '../features/repositories/RepositoriesScreen';
import { RunsScreen } from '../features/runs/RunsScreen';
import { ReviewScreen } from '../features/review/ReviewScreen';
import { SettingsScreen } from '../features/settings/SettingsScreen';
import { ReviewsScreen } from '../features/reviews/ReviewsScreen';
import type { Route } from './navigation';

/** Renders the screen of one route. */
export function RouteView({ route }: { route: Route }) {
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
      return <ReviewsScreen />;
    case 'review':
      return <ReviewScreen runId={route.runId} mrIid={route.mrIid} />;
  }
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
