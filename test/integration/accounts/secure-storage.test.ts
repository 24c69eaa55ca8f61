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

  it('reads what another libsecret client changed, through the entries its thread keeps', async () => {
    const store = createKeyringSecretStore();
    const key = `account:${randomUUID()}:token`;
    await store.set(key, 'glpat-first');
    expect(await store.get(key)).toBe('glpat-first');
    const changed = spawnSync(
      'secret-tool',
      ['store', '--label=changed elsewhere', 'service', KEYRING_SERVICE, 'username', key],
      { input: 'glpat-second', encoding: 'utf8' },
    );
    expect(changed.status).toBe(0);
    expect(await store.get(key)).toBe('glpat-second');
    await store.delete(key);
    expect(await store.get(key)).toBeUndefined();
  });

  it('keeps a one-shot process alive until its keychain call is answered, then lets it exit', () => {
    // The `cospec` command's shape: one read at top level, then nothing left to do. A thread that
    // kept the process alive would hang it (spawnSync's timeout: status null); one that let it go
    // early would end it before the answer (exit code 13, an unsettled top-level await).
    const key = `account:${randomUUID()}:token`;
    const script = `
      import { createKeyringSecretStore } from './src-main/services/secrets/keyring-store.ts';
      const store = createKeyringSecretStore();
      await store.set(${JSON.stringify(key)}, 'glpat-one-shot');
      console.log(await store.get(${JSON.stringify(key)}));
      await store.delete(${JSON.stringify(key)});`;
    const run = spawnSync('npx', ['tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).not.toContain('unsettled');
    expect({ status: run.status, out: run.stdout.trim() }).toEqual({ status: 0, out: 'glpat-one-shot' });
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
