import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Configuration } from 'electron-builder';
import { createLogger } from '../../../src-main/platform/logger';
import { createOAuthAppResolver } from '../../../src-main/services/auth/app-resolver';
import { builtInGitLabComClientId } from '../../../src-main/services/auth/built-in';
import { GITLAB_COM_URL } from '../../../src-main/services/gitlab/url';
import { createSettingsStore } from '../../../src-main/services/settings/store';

const require = createRequire(import.meta.url);
const configPath = join(process.cwd(), 'resources/build/electron-builder.cjs');
function loadConfig(env: Record<string, string | undefined>): Configuration {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  try {
    delete require.cache[configPath];
    return require(configPath) as Configuration;
  } finally {
    process.env = saved;
  }
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function settings() {
  const dir = mkdtempSync(join(tmpdir(), 'cospec-builtin-'));
  dirs.push(dir);
  return createSettingsStore({ dataDir: dir, logger: createLogger({ sinks: [] }) });
}

const ID = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2';

describe('the gitlab.com OAuth application id of a vendor build', () => {
  it('is written into the packaged package.json from COSPEC_GITLAB_OAUTH_CLIENT_ID, and only then', () => {
    const config = loadConfig({ COSPEC_GITLAB_OAUTH_CLIENT_ID: ID });
    expect(config.extraMetadata).toEqual({ cospec: { gitlabComClientId: ID } });
    expect(builtInGitLabComClientId(config.extraMetadata)).toBe(ID);
    expect(loadConfig({ COSPEC_GITLAB_OAUTH_CLIENT_ID: undefined }).extraMetadata).toBeUndefined();
    expect(() => loadConfig({ COSPEC_GITLAB_OAUTH_CLIENT_ID: 'not an id"; rm -rf' })).toThrow(
      /not a GitLab application id/,
    );
  });

  it('is ignored when missing or malformed in package.json', () => {
    expect(builtInGitLabComClientId({ name: 'cospec-desktop' })).toBeUndefined();
    expect(builtInGitLabComClientId({ cospec: { gitlabComClientId: 'x y' } })).toBeUndefined();
    expect(builtInGitLabComClientId(undefined)).toBeUndefined();
  });

  it('is used for gitlab.com when nothing else configures it; environment and settings still win', () => {
    const store = settings();
    const builtIn = createOAuthAppResolver({ settings: store, env: {}, builtInGitLabComClientId: ID });
    expect(builtIn.clientIdFor(GITLAB_COM_URL)).toBe(ID);
    expect(builtIn.clientIdFor('https://gitlab.corp.example')).toBeUndefined();
    const env = createOAuthAppResolver({
      settings: store,
      env: { COSPEC_GITLAB_OAUTH_CLIENT_ID: 'from-env-1234' },
      builtInGitLabComClientId: ID,
    });
    expect(env.clientIdFor(GITLAB_COM_URL)).toBe('from-env-1234');
    store.write('oauth', { applications: [], gitlabComClientId: 'from-settings' });
    expect(builtIn.clientIdFor(GITLAB_COM_URL)).toBe('from-settings');
    expect(
      createOAuthAppResolver({ settings: store, env: {}, managed: () => 'managed-id' }).clientIdFor(GITLAB_COM_URL),
    ).toBe('managed-id');
  });
});
