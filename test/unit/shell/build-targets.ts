import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig } from 'electron-vite';
import { build, type InlineConfig } from 'vite';

export const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Builds one electron-vite target exactly as electron.vite.config.ts describes it, into outDir/target. */
export async function buildTarget(target: 'main' | 'preload', outDir: string): Promise<string> {
  process.env.NODE_ENV_ELECTRON_VITE = 'production';
  const { config } = await resolveConfig({ root, logLevel: 'silent' }, 'build', 'production');
  const viteConfig = config?.[target] as InlineConfig | undefined;
  if (!viteConfig?.build) throw new Error(`electron.vite.config.ts has no ${target} target`);
  viteConfig.build.outDir = join(outDir, target);
  viteConfig.logLevel = 'silent';
  await build(viteConfig);
  return viteConfig.build.outDir;
}
