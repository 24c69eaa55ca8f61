import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { installWebBridge } from '../api/web-bridge';
import { App } from './App';
import { preloadFirstRoute } from './preload';

/** Installs the bridge (browser mode), fills the first route's queries and renders the app; main.tsx calls it once. */
export function startApp(): void {
  installWebBridge();
  preloadFirstRoute(window.location.hash);
  const root = document.getElementById('root');
  if (!root) throw new Error('index.html has no #root element');
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
