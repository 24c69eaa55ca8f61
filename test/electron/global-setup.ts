import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { findElectronBinary } from './electron-binary';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Decides once whether the Electron suite can run (prints one line when it cannot; the tests are
 * then reported as skipped, never as passed), builds the app with electron-vite, and gives
 * Electron a virtual display on a Linux machine without one.
 */
export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  const binary = findElectronBinary();
  if ('missing' in binary) return skip(`Electron binary not available: ${binary.missing}`);
  process.env.COSPEC_ELECTRON_BINARY = binary.path;

  const build = spawnSync(process.execPath, [require.resolve('electron-vite/bin/electron-vite.js'), 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) throw new Error('electron-vite build failed; see the output above.');

  if (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY) return undefined;
  if (!existsSync('/usr/bin/Xvfb')) return skip('no display and no Xvfb (install it with: apt-get install -y xvfb)');
  const xvfb = await startXvfb();
  return async () => void xvfb.kill();
}

function skip(reason: string): undefined {
  console.log(`[electron] SKIP: ${reason}`);
  process.env.COSPEC_ELECTRON_SKIP = reason;
  return undefined;
}

/** Starts Xvfb on a free display number (-displayfd reports which) and points DISPLAY at it. */
function startXvfb(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/Xvfb', ['-displayfd', '1', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.once('error', reject);
    child.stdout?.once('data', (chunk: Buffer) => {
      process.env.DISPLAY = `:${chunk.toString().trim()}`;
      resolve(child);
    });
  });
}
