import type { Encryptor, SecretStore } from './types';
import { createEncryptedFileSecretStore } from './encrypted-file-store';
import { createKeyringSecretStore } from './keyring-store';

export type { Encryptor, SecretStore } from './types';
export { createEncryptedFileSecretStore } from './encrypted-file-store';
export { createKeyringSecretStore, KEYRING_SERVICE } from './keyring-store';

/** Secret keys of one account. */
export const secretKeys = {
  token: (accountId: string) => `account:${accountId}:token`,
  refresh: (accountId: string) => `account:${accountId}:refresh`,
};

/** safeStorage (through the shell's Encryptor) in the app; the OS keychain everywhere else. */
export function createSecretStore(options: {
  dataDir: string;
  encryptor?: Encryptor;
  allowPlaintext: () => boolean;
}): SecretStore {
  return options.encryptor
    ? createEncryptedFileSecretStore({
        dataDir: options.dataDir,
        encryptor: options.encryptor,
        allowPlaintext: options.allowPlaintext,
      })
    : createKeyringSecretStore();
}
