import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { installWebBridge } from './api/web-bridge';
import { preloadFirstRoute } from './app/preload';
import './styles/index.css';

installWebBridge();
preloadFirstRoute(window.location.hash);
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
