import { startEarlyCalls } from './api/early';
import { parseRoute } from './app/navigation';
import { loadScreen } from './app/screens';
// A stylesheet link in index.html, loaded beside this module rather than after the app's code.
import './styles/index.css';

/*
 * The renderer's entry, a few kB with no library in it: it asks main for the first screen's data
 * and loads that screen's chunk and the app (React, the query cache, the shell: ./app/start.tsx)
 * side by side, then renders once both are here, so the screen shows without a Suspense fallback
 * (app/Routes.tsx says why that matters) and nothing waits for the app's code to start the data.
 */
const route = parseRoute(window.location.hash);
startEarlyCalls(route);
const screen = loadScreen(route.name).catch(() => undefined); // retried and shown by the route's React.lazy
import('./app/start')
  .then(async ({ startApp }) => {
    await screen;
    startApp();
  })
  .catch((error: unknown) => {
    const root = document.getElementById('root');
    if (root) root.textContent = `coSPEC could not load its window: ${String(error)}. Reload, or restart coSPEC.`;
    throw error;
  });
