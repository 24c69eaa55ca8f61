import type { Logger } from '../../platform/logger';
import {
  createEncryptedFileSecretStore,
  encryptedSecretsFileExists,
  type EncryptedFileSecretStore,
} from './encrypted-file-store';
import { createKeyringSecretStore, type KeyringSecretStore } from './keyring-store';
import type { Encryptor, SecretStore } from './types';

export interface ChooseSecretStoreOptions {
  dataDir: string;
  /** Electron's safeStorage in the app; absent in the CLI and browser mode. */
  encryptor?: Encryptor;
  allowPlaintext: () => boolean;
  /** The OS keychain; injectable for tests. */
  keyring?: KeyringSecretStore;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * One secret store for the app, the CLI and browser mode: the OS keychain (same service and keys
 * everywhere, so an account connected in one is usable in the others). The app falls back to its
 * safeStorage-encrypted file only where no keychain answers; that file keeps refusing plaintext-grade
 * encryption. Entries left in the file by earlier versions move to the keychain on first start.
 */
export async function chooseSecretStore(options: ChooseSecretStoreOptions): Promise<SecretStore> {
  const keyring = options.keyring ?? createKeyringSecretStore();
  if (!options.encryptor) return keyring;
  const file = () =>
    createEncryptedFileSecretStore({
      dataDir: options.dataDir,
      encryptor: options.encryptor as Encryptor,
      allowPlaintext: options.allowPlaintext,
    });
  if (!(await keyring.answers())) {
    options.logger?.warn('secrets.keychain_unavailable', { fallback: 'encrypted file' });
    return file();
  }
  if (!encryptedSecretsFileExists(options.dataDir)) return keyring;
  const legacy = file();
  const left = await migrateEntries(legacy, keyring, options.logger);
  if (left.length === 0) {
    legacy.removeFile();
    return keyring;
  }
  return withLegacyFallback(keyring, legacy);
}

/**
 * Copies every entry of the encrypted file into the keychain and reads it back. Returns the keys that
 * could not be moved (undecryptable, or the keychain refused): those stay in the file, which is kept.
 */
export async function migrateEntries(
  legacy: EncryptedFileSecretStore,
  keyring: SecretStore,
  logger?: Pick<Logger, 'info' | 'warn'>,
): Promise<string[]> {
  const left: string[] = [];
  let moved = 0;
  for (const key of legacy.keys()) {
    try {
      const value = await legacy.get(key);
      if (value === undefined) continue;
      await keyring.set(key, value);
      if ((await keyring.get(key)) !== value) throw new Error('the keychain returned a different value');
      moved += 1;
    } catch (error) {
      left.push(key);
      logger?.warn('secrets.migration_failed', { key, error: error instanceof Error ? error.message : String(error) });
    }
  }
  logger?.info('secrets.migrated_to_keychain', { moved, left: left.length });
  return left;
}

/**
 * The keychain, still reading what could not be moved out of the old file (so nothing is lost);
 * writes go to the keychain, deletes remove both copies.
 */
function withLegacyFallback(keyring: SecretStore, legacy: SecretStore): SecretStore {
  return {
    async get(key) {
      return (await keyring.get(key)) ?? (await legacy.get(key).catch(() => undefined));
    },
    set: (key, value) => keyring.set(key, value),
    async delete(key) {
      await keyring.delete(key);
      await legacy.delete(key);
    },
    describe: () => `${keyring.describe()}, with entries not yet moved from ${legacy.describe()}`,
  };
}
