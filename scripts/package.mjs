#!/usr/bin/env node
// `npm run package -- [--mac|--win|--linux]`: builds and packages installers with electron-builder.
// Fails early, with the reason, where the Electron binary or zip cannot be had (machines without internet).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;

function electronDistAvailable() {
  if (process.env.COSPEC_ELECTRON_DIST) return existsSync(process.env.COSPEC_ELECTRON_DIST);
  const electronDir = dirname(require.resolve('electron/package.json'));
  // Electron ≥42 downloads lazily; a present dist folder means the binary was fetched once.
  return existsSync(join(electronDir, 'dist'));
}

if (!electronDistAvailable()) {
  console.error(
    'package: the Electron binary is not available on this machine (it is downloaded from GitHub, which is unreachable here).\n' +
      'Run this on a machine with internet access, or set COSPEC_ELECTRON_DIST to an unpacked Electron folder of the same version.',
  );
  process.exit(2);
}
for (const [cmd, args] of [
  ['npx', ['electron-vite', 'build']],
  ['npx', ['electron-builder', '--config', 'resources/build/electron-builder.cjs', ...process.argv.slice(2)]],
]) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
