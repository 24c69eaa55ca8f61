export type { Encryptor, SecretStore } from './types';
export { createEncryptedFileSecretStore, type EncryptedFileSecretStore } from './encrypted-file-store';
export { createKeyringSecretStore, KEYRING_SERVICE, type KeyringSecretStore } from './keyring-store';
/** The OS keychain for app and CLI alike; the app's encrypted file only where no keychain answers. */
export { chooseSecretStore as createSecretStore, migrateEntries } from './choose';
export { withReadCache, SECRET_READ_TTL_MS } from './read-cache';

/** Secret keys of one account. */
export const secretKeys = {
  token: (accountId: string) => `account:${accountId}:token`,
  refresh: (accountId: string) => `account:${accountId}:refresh`,
};
