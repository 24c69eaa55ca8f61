import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { z } from 'zod';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { Encryptor, SecretStore } from './types';

export interface EncryptedFileStoreOptions {
  dataDir: string;
  encryptor: Encryptor;
  /** Whether the user opted in to storing tokens with a plaintext-grade backend (Linux basic_text). */
  allowPlaintext: () => boolean;
}

/** The file store also lists its keys and removes its file, so its entries can move to the keychain. */
export interface EncryptedFileSecretStore extends SecretStore {
  keys(): string[];
  /** Deletes secrets.json altogether (after every entry was copied elsewhere). */
  removeFile(): void;
}

const Ciphertext = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);

/**
 * Secrets encrypted by the OS through Electron's safeStorage (the Encryptor), kept as base64 in
 * secrets.json (mode 0600) next to config.json, in the same format electron-store writes.
 */
export function createEncryptedFileSecretStore(options: EncryptedFileStoreOptions): EncryptedFileSecretStore {
  const file = new Conf<Record<string, string>>({
    cwd: options.dataDir,
    configName: 'secrets',
    projectName: 'cospec-desktop',
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false,
  });
  const { encryptor } = options;

  const assertStrong = () => {
    if (encryptor.isStrong() || options.allowPlaintext()) return;
    throw new CospecError(
      'PLAINTEXT_STORAGE_REFUSED',
      `Your system offers no secure storage for coSPEC (backend "${encryptor.backendName()}"), so a token would be kept practically in plain text. Install and unlock a keyring such as GNOME Keyring or KWallet and restart coSPEC, or explicitly allow plaintext storage in settings if you accept the risk.`,
    );
  };

  return {
    async get(key) {
      const stored = Ciphertext.safeParse(file.get(key));
      if (!stored.success) return undefined;
      try {
        return encryptor.decrypt(Buffer.from(stored.data, 'base64'));
      } catch (error) {
        throw new CospecError(
          'SECURE_STORAGE_UNAVAILABLE',
          'A stored token could not be decrypted (the OS keyring may have changed). Reconnect the account.',
          error instanceof Error ? error.message : String(error),
        );
      }
    },
    async set(key, value) {
      assertStrong();
      file.set(key, encryptor.encrypt(value).toString('base64'));
    },
    async delete(key) {
      file.delete(key);
    },
    keys: () => Object.keys(file.store),
    removeFile: () => rmSync(file.path, { force: true }),
    describe: () => `secrets.json encrypted with the OS (${encryptor.backendName()})`,
  };
}

/** Whether an encrypted secrets file from an earlier version exists in the data folder. */
export function encryptedSecretsFileExists(dataDir: string): boolean {
  return existsSync(join(dataDir, 'secrets.json'));
}
