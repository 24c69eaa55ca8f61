import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyringSecretStore, KEYRING_SERVICE } from '../../../src-main/services/secrets';

// Runs against the real Secret Service started by scripts/with-keyring.sh (gnome-keyring on a
// private D-Bus session). Without a session bus there is nothing real to test against.
const hasBus = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);
if (!hasBus) console.warn('secure-storage tests skipped: no D-Bus session; run through scripts/with-keyring.sh');

describe.runIf(hasBus)('OS keychain secret store (real Secret Service)', () => {
  it('stores, reads and deletes a token, visible to other libsecret clients under the coSPEC service', async () => {
    const store = createKeyringSecretStore();
    const key = `account:${randomUUID()}:token`;
    const token = `glpat-${randomUUID().replace(/-/g, '')}`;
    await store.set(key, token);
    expect(await store.get(key)).toBe(token);
    // secret-tool reads the same item through libsecret: it really is in the Secret Service.
    const lookup = spawnSync('secret-tool', ['lookup', 'service', KEYRING_SERVICE, 'username', key], {
      encoding: 'utf8',
    });
    expect(lookup.stdout).toBe(token);
    await store.delete(key);
    expect(await store.get(key)).toBeUndefined();
    expect(
      spawnSync('secret-tool', ['lookup', 'service', KEYRING_SERVICE, 'username', key], { encoding: 'utf8' }).stdout,
    ).toBe('');
    await expect(store.delete(key)).resolves.toBeUndefined();
  });

  it('reports SECURE_STORAGE_UNAVAILABLE with guidance when there is no session bus', () => {
    const script = `
      import { createKeyringSecretStore } from './src-main/services/secrets/keyring-store.ts';
      try { await createKeyringSecretStore().set('probe', 'x'); console.log('stored'); }
      catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
    const run = spawnSync('npx', ['tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' },
      timeout: 60_000,
    });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    expect(JSON.parse(line)).toMatchObject({
      code: 'SECURE_STORAGE_UNAVAILABLE',
      message: expect.stringContaining('Secret Service'),
    });
  });
});
