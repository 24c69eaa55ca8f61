import type { Rolldown } from 'vite';

/** The renderer's entry and what it imports: src-renderer/main.tsx starts the first screen's data and chunks with these alone. */
const ENTRY_MODULES =
  /src-renderer[\\/](main\.tsx|api[\\/]early\.ts|app[\\/](navigation|screens)\.ts)$|src-shared[\\/]ipc[\\/]web-call\.ts$/;

/**
 * How the renderer bundle is split, shared by the Electron build (electron.vite.config.ts) and the
 * UI harness / `npm run bench review` build (test/ui/harness/build.ts), so both ship the same chunks.
 * - The entry stays a few kB with no library in it, so it runs at once and asks for the first
 *   screen's data and chunks before anything else has loaded.
 * - Libraries get chunks of their own: React and the query cache load beside the app shell, the
 *   diff view only with the review screen (the highlighter's grammars are their own lazy chunk).
 * - The code every screen shares (api/, components/, app/, src-shared/) and the icons are one chunk
 *   each, not one per module: a cold start then makes about ten requests instead of thirty, and a
 *   browser opens at most six connections to one host at a time (browser mode and the UI harness
 *   load over HTTP/1.1, and the first screen's data call holds one of them while main computes it).
 */
export const rendererCodeSplitting: Rolldown.CodeSplittingOptions = {
  groups: [
    { name: 'vendor-react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 30 },
    // The virtual list rides with the query cache (both small, both loaded early): one request less
    // for the screens that list hundreds of rows (review, repositories).
    {
      name: 'vendor-query',
      test: /node_modules[\\/]@tanstack[\\/](query-core|react-query|virtual-core|react-virtual)[\\/]/,
      priority: 20,
    },
    { name: 'vendor-zod', test: /node_modules[\\/]zod[\\/]/, priority: 20 },
    { name: 'vendor-diff', test: /node_modules[\\/](react-diff-view|gitdiff-parser)[\\/]/, priority: 20 },
    { name: 'icons', test: /node_modules[\\/]lucide-react[\\/]/, priority: 20 },
    {
      name: 'app-shared',
      test: (id) => !ENTRY_MODULES.test(id) && /src-renderer[\\/](api|components|app)[\\/]|src-shared[\\/]/.test(id),
      priority: 10,
      // Otherwise the group takes in what its modules import, the entry's modules among them.
      includeDependenciesRecursively: false,
    },
  ],
};
