/** Every screen of the app; the hash is the whole routing state, so reload and back/forward just work. */
export type Route =
  | { name: 'integrations' }
  | { name: 'accounts' }
  | { name: 'repositories' }
  | { name: 'settings' }
  | { name: 'reviews' }
  | { name: 'runs'; runId?: string }
  | { name: 'review'; runId: string; mrIid: number };

export const DEFAULT_ROUTE: Route = { name: 'integrations' };

/** The sidebar's sections, top to bottom: the order of the sidebar and of Ctrl/Cmd+1..N. */
export const SECTIONS: readonly Route[] = [
  { name: 'integrations' },
  { name: 'accounts' },
  { name: 'repositories' },
  { name: 'runs' },
  { name: 'reviews' },
  { name: 'settings' },
];

/** The section a route belongs to (a run's page is in Runs, a review's in Reviews). */
export function sectionOf(route: Route): Route['name'] {
  return route.name === 'review' ? 'reviews' : route.name;
}

/**
 * The section a key press jumps to: Ctrl+1..N (Cmd on macOS, where Ctrl+digit is left to the system),
 * with no other modifier; null for every other key.
 */
export function sectionForShortcut(
  e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>,
  mac: boolean,
): Route | null {
  const primary = mac ? e.metaKey && !e.ctrlKey : e.ctrlKey && !e.metaKey;
  if (!primary || e.altKey || e.shiftKey || !/^[1-9]$/.test(e.key)) return null;
  return SECTIONS[Number(e.key) - 1] ?? null;
}

/** Reads a location hash ('#/runs/abc'); anything unknown falls back to the Integrations screen. */
export function parseRoute(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const [head, a, b] = parts;
  switch (head) {
    case 'integrations':
      return { name: 'integrations' };
    case 'accounts':
      return { name: 'accounts' };
    case 'repositories':
      return { name: 'repositories' };
    case 'settings':
      return { name: 'settings' };
    case 'reviews':
      return { name: 'reviews' };
    case 'runs':
      return a ? { name: 'runs', runId: a } : { name: 'runs' };
    case 'review': {
      const mrIid = Number(b);
      if (a && Number.isInteger(mrIid) && mrIid > 0) return { name: 'review', runId: a, mrIid };
      return DEFAULT_ROUTE;
    }
    default:
      return DEFAULT_ROUTE;
  }
}

/** The hash for a route: '#/integrations/gitlab', '#/runs/:id', '#/review/:runId/:mrIid' … */
export function routeHref(route: Route): string {
  switch (route.name) {
    case 'integrations':
      return '#/integrations/gitlab';
    case 'accounts':
      return '#/accounts';
    case 'repositories':
      return '#/repositories';
    case 'settings':
      return '#/settings';
    case 'reviews':
      return '#/reviews';
    case 'runs':
      return route.runId ? `#/runs/${encodeURIComponent(route.runId)}` : '#/runs';
    case 'review':
      return `#/review/${encodeURIComponent(route.runId)}/${route.mrIid}`;
  }
}

/** Goes to a route (a Route or a hash string); adds a history entry like a link would. */
export function navigate(to: Route | string): void {
  const hash = typeof to === 'string' ? to : routeHref(to);
  if (window.location.hash !== hash) window.location.hash = hash;
}
