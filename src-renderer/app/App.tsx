import { useEffect } from 'react';
import { Plug } from 'lucide-react';
import { hasBridge } from '../api/client';
import { EmptyState } from '../components';
import { useRunFinishedNotifications } from '../features/runs/useRunNotifications';
import { ErrorBoundary } from './ErrorBoundary';
import { QueryProvider } from './query';
import { RouteView, routeTitle } from './Routes';
import { Sidebar } from './Sidebar';
import { routeHref } from './navigation';
import { useRoute } from './useRoute';

function Shell() {
  const route = useRoute();
  const key = routeHref(route);
  useRunFinishedNotifications();
  useEffect(() => {
    document.title = routeTitle(route);
  }, [route]);
  return (
    <div className="app">
      <Sidebar route={route} />
      <main className="content" id="main">
        <div className="content-inner" key={key}>
          <ErrorBoundary resetKey={key}>
            <RouteView route={route} />
          </ErrorBoundary>
        </div>
      </main>
    </div>
  );
}

/** The renderer root: providers, then the shell; without a bridge there is nothing to show but why. */
export function App() {
  if (!hasBridge()) {
    return (
      <div className="no-bridge">
        <EmptyState icon={<Plug />} title="coSPEC isn’t connected">
          This page needs the coSPEC desktop app (or its test harness) around it. Start it with <code>npm start</code>.
        </EmptyState>
      </div>
    );
  }
  return (
    <QueryProvider>
      <Shell />
    </QueryProvider>
  );
}
