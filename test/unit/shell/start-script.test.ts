import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from './build-targets';

const scratch = mkdtempSync(join(tmpdir(), 'cospec-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Calls findElectronBinary from scripts/start.mjs in a child Node (the script is plain ESM). */
function find(env: Record<string, string>): { path?: string; missing?: string } {
  const code = `import('./scripts/start.mjs').then((m) => process.stdout.write(JSON.stringify(m.findElectronBinary(${JSON.stringify(env)}))))`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { path?: string; missing?: string };
}

// Without a binary, `npm start` opens browser mode: test/integration/web-host/npm-start.test.ts.
describe('npm start', () => {
  it('uses an unpacked Electron from ELECTRON_OVERRIDE_DIST_PATH', () => {
    const dist = join(scratch, 'electron-dist');
    mkdirSync(dist, { recursive: true });
    const executable = join(dist, process.platform === 'win32' ? 'electron.exe' : 'electron');
    writeFileSync(executable, '#!/bin/sh\n');
    chmodSync(executable, 0o755);
    expect(find({ ELECTRON_OVERRIDE_DIST_PATH: dist }).path).toBe(executable);
    expect(find({ ELECTRON_OVERRIDE_DIST_PATH: join(scratch, 'nowhere') }).missing).toContain('does not exist');
  });
});
