#!/usr/bin/env node
// `npm start`: builds main, preload and renderer with electron-vite, then runs coSPEC Desktop in
// Electron. Electron ≥42 downloads its binary on first use; where that download is impossible
// (no access to GitHub) this says so, points to what runs without a window, and exits with code 2.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
export const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Where the Electron executable is, without triggering the download `require('electron')` starts.
 * Returns { path } when it exists, otherwise { missing } with the reason.
 */
export function findElectronBinary(env = process.env) {
  const electronDir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(electronDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) {
    const path = join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || defaultExecutable());
    return existsSync(path) ? { path } : { missing: `ELECTRON_OVERRIDE_DIST_PATH is set but ${path} does not exist.` };
  }
  if (!relative)
    return { missing: 'The Electron binary has not been downloaded yet (node_modules/electron/path.txt is absent).' };
  const path = join(electronDir, 'dist', relative);
  return existsSync(path) ? { path } : { missing: `${path} does not exist.` };
}

function defaultExecutable() {
  if (process.platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron';
  return process.platform === 'win32' ? 'electron.exe' : 'electron';
}

/** Runs Electron's own downloader (what `require('electron')` would do); returns its last error line. */
export function downloadElectron() {
  const electronDir = dirname(require.resolve('electron/package.json'));
  const result = spawnSync(process.execPath, [join(electronDir, 'install.js')], {
    encoding: 'utf8',
    timeout: 10 * 60_000,
  });
  if (result.status === 0) return undefined;
  const lines = `${result.stderr ?? ''}\n${result.error?.message ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return (
    lines.find((l) => /^(Error|TypeError|RequestError|HTTPError)\b/.test(l)) ?? lines[0] ?? `exit code ${result.status}`
  );
}

export const missingBinaryHelp = [
  'Electron downloads its binary from GitHub on first start, and that download failed on this machine.',
  'Everything except the window works without it:',
  '  npm run demo                      the offline demo: GitLab stand-in, a sample agent in the sandbox, detected outputs',
  '  npm run cospec -- --help          the cospec CLI (accounts, repos, runs) over the same services',
  '  npm run test:ui                   the UI in Chromium against the real services (screenshots in test-results/)',
  'To run the window here, give it a binary: ELECTRON_OVERRIDE_DIST_PATH=<unpacked Electron 45 folder> npm start,',
  'or run `npx install-electron` on a machine that can reach github.com.',
].join('\n');

function download() {
  console.log('start: downloading the Electron binary (first start)…');
  return downloadElectron();
}

function main(args) {
  let binary = findElectronBinary();
  if (!binary.path) {
    // COSPEC_NO_ELECTRON_DOWNLOAD=1 skips the attempt (closed networks, tests).
    const failure =
      process.env.COSPEC_NO_ELECTRON_DOWNLOAD === '1' ? 'skipped (COSPEC_NO_ELECTRON_DOWNLOAD=1)' : download();
    binary = findElectronBinary();
    if (!binary.path) {
      console.error(
        `start: coSPEC Desktop cannot open its window: the Electron binary is missing.\n  ${binary.missing}`,
      );
      if (failure) console.error(`  The download failed: ${failure}`);
      console.error(missingBinaryHelp);
      return 2;
    }
  }

  const build = spawnSync(process.execPath, [require.resolve('electron-vite/bin/electron-vite.js'), 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error('start: the build failed (see above); nothing was started.');
    return build.status ?? 1;
  }

  const electronArgs = ['.', ...args];
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    console.error(
      'start: no display (DISPLAY and WAYLAND_DISPLAY are unset); run under `xvfb-run -a npm start` or use the CLI.',
    );
  }
  if (process.platform === 'linux' && process.getuid?.() === 0) {
    // Chromium refuses to start as root with its OS sandbox on; say plainly that it is off.
    console.error(
      "start: running as root: Chromium's OS-level sandbox is switched off (--no-sandbox). Run as a normal user to keep it.",
    );
    electronArgs.push('--no-sandbox');
  }
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would turn the app into a plain Node process
  const child = spawn(binary.path, electronArgs, { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = main(process.argv.slice(2));
  if (code !== undefined) process.exit(code);
}
