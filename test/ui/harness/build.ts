import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { build } from 'vite';

export const ROOT = resolve(import.meta.dirname, '../../..');
// COSPEC_UI_BUILD_DIR lets two suites run side by side without rebuilding under each other.
export const HARNESS_OUT = process.env.COSPEC_UI_BUILD_DIR ?? join(ROOT, 'out', 'ui-harness');
export const RENDERER_OUT = join(HARNESS_OUT, 'renderer');
export const BRIDGE_FILE = join(HARNESS_OUT, 'bridge', 'bridge.js');

/**
 * Builds what the UI suite serves: the production renderer bundle (same Vite settings as the
 * electron-vite renderer target) and the bridge as one classic script for addInitScript.
 */
export async function buildHarness(): Promise<void> {
  await build({
    configFile: false,
    root: join(ROOT, 'src-renderer'),
    base: './',
    plugins: [react()],
    logLevel: 'warn',
    build: { outDir: RENDERER_OUT, emptyOutDir: true, sourcemap: true },
  });
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: join(HARNESS_OUT, 'bridge'),
      emptyOutDir: true,
      minify: false,
      lib: {
        entry: join(ROOT, 'test/ui/harness/bridge.ts'),
        formats: ['iife'],
        name: 'cospecHarnessBridge',
        fileName: () => 'bridge.js',
      },
    },
  });
  for (const file of [join(RENDERER_OUT, 'index.html'), BRIDGE_FILE]) {
    if (!existsSync(file)) throw new Error(`UI harness build did not produce ${file}`);
  }
}
