import { useSyncExternalStore } from 'react';
import { parseRoute, type Route } from './navigation';

// Apart from navigation.ts, which has no React in it: the renderer's first module (main.tsx) reads
// the route with it before React has loaded.

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

const getHash = () => window.location.hash;

/** The current route; re-renders on every hash change. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, getHash, getHash);
  return parseRoute(hash);
}
