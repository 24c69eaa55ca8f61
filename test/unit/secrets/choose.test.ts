import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { aesEncryptor } from '../../support/aes-encryptor';
import {
  createEncryptedFileSecretStore,
  createSecretStore,
  type KeyringSecretStore,
} from '../../../src-main/services/secrets';

/** The app's fallback cipher as the tests' AES stand-in, with the backend Electron reports for it. */
const encryptor = (key: Buffer, strong = true) => aesEncryptor(key, strong, strong ? 'gnome_libsecret' : 'basic_text');

/** An in-memory keychain; `answers: false` is a session without any Secret Service. */
function fakeKeyring(options: { answers?: boolean; refuse?: (key: string) => boolean } = {}) {
  const items = new Map<string, string>();
  const store: KeyringSecretStore = {
    answers: async () => options.answers ?? true,
    get: async (k) => items.get(k),
    async set(k, v) {
      if (options.refuse?.(k)) throw new Error('keychain refused');
      items.set(k, v);
    },
    delete: async (k) => void items.delete(k),
    describe: () => 'fake keychain',
  };
  return { store, items };
}

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'cospec-choose-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('choosing the secret store', () => {
  it('uses the keychain when one answers, also in the app (an encryptor present)', async () => {
    const dir = scratch();
    const { store: keyring, items } = fakeKeyring();
    const store = await createSecretStore({
      dataDir: dir,
      encryptor: encryptor(randomBytes(32)),
      keyring,
      allowPlaintext: () => false,
    });
    await store.set('account:a:token', 't');
    expect(items.get('account:a:token')).toBe('t');
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);
  });

  it('falls back to the encrypted file where no keychain answers, still refusing plaintext-grade encryption', async () => {
    const dir = scratch();
    const { store: keyring, items } = fakeKeyring({ answers: false });
    const strong = await createSecretStore({
      dataDir: dir,
      encryptor: encryptor(randomBytes(32)),
      keyring,
      allowPlaintext: () => false,
    });
    await strong.set('account:a:token', 't');
    expect(items.size).toBe(0);
    expect(existsSync(join(dir, 'secrets.json'))).toBe(true);
    const weak = await createSecretStore({
      dataDir: scratch(),
      encryptor: encryptor(randomBytes(32), false),
      keyring,
      allowPlaintext: () => false,
    });
    await expect(weak.set('account:a:token', 't')).rejects.toMatchObject({ code: 'PLAINTEXT_STORAGE_REFUSED' });
  });

  it('moves old entries and removes the file only when every one arrived; otherwise keeps reading the rest', async () => {
    const dir = scratch();
    const key = randomBytes(32);
    const old = createEncryptedFileSecretStore({
      dataDir: dir,
      encryptor: encryptor(key),
      allowPlaintext: () => false,
    });
    await old.set('account:a:token', 'ta');
    await old.set('account:b:token', 'tb');
    const { store: keyring, items } = fakeKeyring({ refuse: (k) => k === 'account:b:token' });
    const store = await createSecretStore({
      dataDir: dir,
      encryptor: encryptor(key),
      keyring,
      allowPlaintext: () => false,
    });
    expect(items.get('account:a:token')).toBe('ta');
    expect(existsSync(join(dir, 'secrets.json'))).toBe(true);
    expect(await store.get('account:b:token')).toBe('tb');
    await store.delete('account:b:token');
    expect(await store.get('account:b:token')).toBeUndefined();

    // Next start with a willing keychain: the rest moves and the file goes.
    await old.set('account:c:token', 'tc');
    const { store: willing, items: all } = fakeKeyring();
    await createSecretStore({ dataDir: dir, encryptor: encryptor(key), keyring: willing, allowPlaintext: () => false });
    expect([...all.entries()].sort()).toEqual([
      ['account:a:token', 'ta'],
      ['account:c:token', 'tc'],
    ]);
    expect(existsSync(join(dir, 'secrets.json'))).toBe(false);
  });
});
