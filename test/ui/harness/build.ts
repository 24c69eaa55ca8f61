import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { build } from 'vite';
import { rendererCodeSplitting } from '../../../scripts/renderer-chunks';

export const ROOT = resolve(import.meta.dirname, '../../..');
// COSPEC_UI_BUILD_DIR lets two suites run side by side without rebuilding under each other.
export const HARNESS_OUT = process.env.COSPEC_UI_BUILD_DIR ?? join(ROOT, 'out', 'ui-harness');
export const RENDERER_OUT = join(HARNESS_OUT, 'renderer');

/**
 * Builds what the UI suite serves through the browser-mode web host: the production renderer bundle
 * (same Vite settings and chunks as the electron-vite renderer target), which builds window.cospec itself.
 */
export async function buildHarness(): Promise<void> {
  await build({
    configFile: false,
    root: join(ROOT, 'src-renderer'),
    base: './',
    plugins: [react()],
    logLevel: 'warn',
    build: {
      outDir: RENDERER_OUT,
      emptyOutDir: true,
      sourcemap: true,
      rolldownOptions: { output: { codeSplitting: rendererCodeSplitting } },
    },
  });
  for (const file of [join(RENDERER_OUT, 'index.html')]) {
    if (!existsSync(file)) throw new Error(`UI harness build did not produce ${file}`);
  }
}
