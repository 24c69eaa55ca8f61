import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEncryptedFileSecretStore } from '../../../src-main/services/secrets';
import { aesEncryptor as withKey } from '../../support/aes-encryptor';

const aesEncryptor = (strong = true, backend = 'gnome_libsecret') => withKey(undefined, strong, backend);

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'cospec-secrets-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const TOKEN = 'glpat-AbCdEfGhIjKlMnOpQrSt';

describe('safeStorage-backed secret store', () => {
  it('keeps only ciphertext in secrets.json (mode 0600) and reads it back', async () => {
    const dir = scratch();
    const store = createEncryptedFileSecretStore({
      dataDir: dir,
      encryptor: aesEncryptor(),
      allowPlaintext: () => false,
    });
    await store.set('account:1:token', TOKEN);
    const file = readFileSync(join(dir, 'secrets.json'), 'utf8');
    expect(file).not.toContain(TOKEN);
    expect(JSON.parse(file)['account:1:token']).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(await store.get('account:1:token')).toBe(TOKEN);
    await store.delete('account:1:token');
    expect(await store.get('account:1:token')).toBeUndefined();
  });

  it('refuses to store with a plaintext-grade backend unless the user opted in', async () => {
    const dir = scratch();
    let optedIn = false;
    const store = createEncryptedFileSecretStore({
      dataDir: dir,
      encryptor: aesEncryptor(false, 'basic_text'),
      allowPlaintext: () => optedIn,
    });
    await expect(store.set('k', TOKEN)).rejects.toMatchObject({
      code: 'PLAINTEXT_STORAGE_REFUSED',
      message: expect.stringContaining('basic_text'),
    });
    expect(await store.get('k')).toBeUndefined();
    optedIn = true;
    await store.set('k', TOKEN);
    expect(await store.get('k')).toBe(TOKEN);
  });

  it('reports SECURE_STORAGE_UNAVAILABLE when the OS key changed and ciphertext no longer decrypts', async () => {
    const dir = scratch();
    await createEncryptedFileSecretStore({ dataDir: dir, encryptor: aesEncryptor(), allowPlaintext: () => false }).set(
      'k',
      TOKEN,
    );
    const other = createEncryptedFileSecretStore({
      dataDir: dir,
      encryptor: aesEncryptor(),
      allowPlaintext: () => false,
    });
    await expect(other.get('k')).rejects.toMatchObject({ code: 'SECURE_STORAGE_UNAVAILABLE' });
  });
});
