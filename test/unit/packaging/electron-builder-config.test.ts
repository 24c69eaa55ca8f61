import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
