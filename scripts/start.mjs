#!/usr/bin/env node
// `npm start`: builds main, preload and renderer with electron-vite, then runs coSPEC Desktop in
// Electron. Electron ≥42 downloads its binary on first use; where that download is impossible
// (no access to GitHub) it says so in one line and runs the same app in browser mode instead
// (`cospec serve-web`: the renderer and the contract over loopback, opened in the system browser).
// COSPEC_BROWSER=1 asks for browser mode even where Electron could run (a build host reached over ssh).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
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
  'To run the window instead: ELECTRON_OVERRIDE_DIST_PATH=<unpacked Electron 45 folder> npm start,',
  'or run `npx install-electron` on a machine that can reach github.com.',
].join('\n');

/** electron-vite's command (its package exports no bin path, so it is found through package.json). */
function electronViteBin() {
  const pkgPath = require.resolve('electron-vite/package.json');
  return join(dirname(pkgPath), JSON.parse(readFileSync(pkgPath, 'utf8')).bin['electron-vite']);
}

function download() {
  console.log('start: downloading the Electron binary (first start)…');
  return downloadElectron();
}

function main(args) {
  const browserMode = process.env.COSPEC_BROWSER === '1';
  let binary = browserMode ? { missing: 'COSPEC_BROWSER=1 asks for browser mode.' } : findElectronBinary();
  let failure;
  if (!binary.path && !browserMode) {
    // COSPEC_NO_ELECTRON_DOWNLOAD=1 skips the attempt (closed networks, tests).
    failure = process.env.COSPEC_NO_ELECTRON_DOWNLOAD === '1' ? 'skipped (COSPEC_NO_ELECTRON_DOWNLOAD=1)' : download();
    binary = findElectronBinary();
  }

  const build = spawnSync(process.execPath, [electronViteBin(), 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error('start: the build failed (see above); nothing was started.');
    return build.status ?? 1;
  }

  if (!binary.path) return startBrowserMode(args, browserMode ? undefined : { missing: binary.missing, failure });

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
  return runChild(binary.path, electronArgs, env);
}

/**
 * Browser mode: `cospec serve-web --json` in the foreground; its first line names the address, which
 * is printed in the one line that says why the window is not used (serve-web also asks the system
 * to open it in the default browser; `npm start -- --no-open` does not).
 */
function startBrowserMode(args, electron) {
  const child = spawn(process.execPath, [join(root, 'scripts', 'cospec.mjs'), 'serve-web', '--json', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  const why = electron ? 'the Electron binary is missing here' : 'COSPEC_BROWSER=1';
  createInterface({ input: child.stdout }).once('line', (line) => {
    let url;
    try {
      url = JSON.parse(line).url;
    } catch {
      url = undefined;
    }
    if (!url) return console.error(`start: browser mode printed something unexpected: ${line}`);
    console.log(`start: ${why}, so coSPEC Desktop runs in browser mode: open ${url}`);
    if (electron) {
      console.error(`  (${electron.missing}${electron.failure ? ` The download: ${electron.failure}.` : ''})`);
      console.error(missingBinaryHelp);
    }
    console.error('  Ctrl-C stops it. The address signs one browser in; keep it private.');
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return undefined;
}

/** Runs the app (Electron) in the foreground, passing signals on. */
function runChild(command, args, env) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const code = main(process.argv.slice(2));
  if (code !== undefined) process.exit(code);
}
