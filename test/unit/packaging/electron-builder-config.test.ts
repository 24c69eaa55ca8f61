import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Configuration } from 'electron-builder';

const require = createRequire(import.meta.url);
const configPath = join(process.cwd(), 'resources/build/electron-builder.cjs');

function loadConfig(env: Record<string, string | undefined> = {}): Configuration {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  try {
    delete require.cache[configPath];
    return require(configPath) as Configuration;
  } finally {
    process.env = saved;
  }
}

describe('electron-builder configuration', { timeout: 120_000 }, () => {
  it("passes electron-builder's own schema validation", async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      validateConfiguration(config: Configuration, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(loadConfig(), new DebugLogger(false))).resolves.toBeUndefined();
    // The validator is real: an unknown key is refused.
    await expect(
      validateConfiguration({ ...loadConfig(), notAnOption: true } as Configuration, new DebugLogger(false)),
    ).rejects.toThrow(/notAnOption/);
  });

  it('registers the cospec:// protocol on every OS', () => {
    const config = loadConfig();
    expect(config.protocols).toEqual([{ name: 'coSPEC Desktop', schemes: ['cospec'] }]);
    expect(config.linux?.mimeTypes).toContain('x-scheme-handler/cospec');
    expect((config.linux?.desktop as { entry?: Record<string, string> })?.entry?.MimeType).toBe(
      'x-scheme-handler/cospec;',
    );
  });

  it('flips the security fuses', () => {
    expect(loadConfig().electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('builds every installer the admins distribute, with a hardened runtime on macOS', () => {
    const config = loadConfig();
    const targets = (t: unknown) =>
      (t as Array<{ target: string } | string>).map((x) => (typeof x === 'string' ? x : x.target));
    expect(targets(config.mac?.target)).toEqual(['dmg', 'zip']);
    expect(targets(config.win?.target)).toEqual(['nsis', 'msi']);
    expect(targets(config.linux?.target)).toEqual(['AppImage', 'deb', 'rpm']);
    expect(config.mac?.hardenedRuntime).toBe(true);
    for (const file of [config.mac?.entitlements, config.mac?.entitlementsInherit])
      expect(existsSync(String(file))).toBe(true);
  });

  it('labels unsigned builds and takes signing only from the environment', () => {
    const clean = {
      CSC_LINK: undefined,
      CSC_NAME: undefined,
      WIN_CSC_LINK: undefined,
      APPLE_API_KEY: undefined,
      APPLE_ID: undefined,
      APPLE_KEYCHAIN_PROFILE: undefined,
    };
    const unsigned = loadConfig(clean);
    expect(unsigned.mac?.artifactName).toContain('-UNSIGNED');
    expect(unsigned.win?.artifactName).toContain('-UNSIGNED');
    expect(unsigned.mac?.notarize).toBe(false);
    const signed = loadConfig({
      ...clean,
      CSC_LINK: '/secure/cert.p12',
      WIN_CSC_LINK: '/secure/win.pfx',
      APPLE_API_KEY: '/secure/key.p8',
    });
    expect(signed.mac?.artifactName).not.toContain('UNSIGNED');
    expect(signed.win?.artifactName).not.toContain('UNSIGNED');
    expect(signed.mac?.notarize).toBe(true);
  });

  describe('ships the cospec command on the PATH', () => {
    const linuxLauncher = 'resources/build/linux/cospec';
    const winLauncher = 'resources/build/win/bin/cospec.cmd';
    const nsisInclude = 'resources/build/installer.nsh';

    it('deb and rpm install /usr/bin/cospec, which execs the installed binary as the CLI', () => {
      const config = loadConfig();
      for (const target of [config.deb, config.rpm]) {
        const fpm = (target as { fpm?: string[] } | undefined)?.fpm ?? [];
        expect(fpm).toContain(`${join(process.cwd(), linuxLauncher)}=/usr/bin/cospec`);
      }
      const script = readFileSync(linuxLauncher, 'utf8');
      expect(statSync(linuxLauncher).mode & 0o111).toBe(0o111); // fpm keeps the mode: it must be executable
      // electron-builder installs the app in /opt/<productName>/<executableName>
      expect(script).toContain(`exec "/opt/${config.productName}/${config.executableName}" --cospec-cli "$@"`);
      expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    });

    it('the launcher script parses (sh -n) and passes its arguments through untouched', () => {
      const parse = spawnSync('sh', ['-n', linuxLauncher], { encoding: 'utf8' });
      expect(parse.status, parse.stderr).toBe(0);
      // Run it with the app binary swapped for a stand-in that prints its argv, one per line.
      const script = readFileSync(linuxLauncher, 'utf8').replace(/"\/opt\/[^"]+"/, 'printf "%s\\n"');
      const run = spawnSync('sh', ['-c', script, 'cospec', 'accounts', 'add', 'a b', '$HOME', '--json'], {
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.split('\n').slice(0, -1)).toEqual([
        '--cospec-cli',
        'accounts',
        'add',
        'a b',
        '$HOME',
        '--json',
      ]);
    });

    it('Windows ships bin\\cospec.cmd and the NSIS include puts it on PATH and takes it off', () => {
      const config = loadConfig();
      expect(config.win?.extraResources).toContainEqual({ from: 'resources/build/win/bin', to: 'bin' });
      expect((config.nsis as { include?: string }).include).toBe(nsisInclude);
      const cmd = readFileSync(winLauncher, 'utf8');
      expect(cmd).toContain(`"%~dp0..\\..\\${config.executableName}.exe" --cospec-cli %*`);
      expect(
        cmd
          .split('\n')
          .slice(0, -1)
          .every((line) => line.endsWith('\r')),
      ).toBe(true); // CRLF for cmd.exe
      const nsh = readFileSync(nsisInclude, 'utf8');
      expect(nsh).toMatch(/!macro customInstall[\s\S]*WriteRegExpandStr HKCU "Environment" "Path"[\s\S]*!macroend/);
      expect(nsh).toMatch(/!macro customUnInstall[\s\S]*UnStrRep[\s\S]*WriteRegExpandStr HKCU "Environment" "Path"/);
      expect(nsh).toContain('$INSTDIR\\resources\\bin');
    });
  });

  const electronPresent = existsSync(join(dirname(require.resolve('electron/package.json')), 'dist'));
  if (electronPresent)
    console.log('packaging failure test skipped: the Electron binary exists here, so packaging would really run');
  it.skipIf(electronPresent)('fails with a clear message where the Electron binary is missing', () => {
    const r = spawnSync(process.execPath, ['scripts/package.mjs', '--linux'], {
      encoding: 'utf8',
      env: { ...process.env, COSPEC_ELECTRON_DIST: '' },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Electron binary is not available/);
  });
});
