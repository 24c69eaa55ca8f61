import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import { rendererCodeSplitting } from './scripts/renderer-chunks';

// One build for the three Electron targets; the folders are fixed by the project layout.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/index.ts'),
          // isomorphic-git's pack indexing and checkout run on this worker thread, next to index.js.
          'isomorphic-worker': resolve(__dirname, 'src-main/services/git/isomorphic-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload can require only 'electron': zod and the contract are bundled in.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/preload/index.ts') },
        // A sandboxed preload cannot load ES modules.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      // electron-vite leaves every target unminified; the window parses the renderer at each start,
      // and the UI harness and `npm run bench review` (test/ui/harness/build.ts) measure it minified.
      minify: true,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-renderer/index.html') },
        output: { codeSplitting: rendererCodeSplitting },
      },
    },
  },
});
