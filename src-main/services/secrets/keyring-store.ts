import { AsyncEntry } from '@napi-rs/keyring';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { SecretStore } from './types';

/** A keychain-backed store that can say whether a keychain answers at all in this session. */
export interface KeyringSecretStore extends SecretStore {
  answers(): Promise<boolean>;
}

export const KEYRING_SERVICE = 'coSPEC Desktop';

/**
 * Secrets in the OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on
 * Linux) through @napi-rs/keyring; the one store of the app, the CLI and browser mode (see choose.ts).
 */
export function createKeyringSecretStore(service = KEYRING_SERVICE): KeyringSecretStore {
  const entry = (key: string) => new AsyncEntry(service, key);
  return {
    async answers() {
      // Reading an entry that does not exist succeeds (null) only when a keychain is really there.
      try {
        await entry('cospec:probe').getPassword();
        return true;
      } catch {
        return false;
      }
    },
    async get(key) {
      try {
        return (await entry(key).getPassword()) ?? undefined;
      } catch (error) {
        throw unavailable(error);
      }
    },
    async set(key, value) {
      try {
        await entry(key).setPassword(value);
      } catch (error) {
        throw unavailable(error);
      }
    },
    async delete(key) {
      try {
        await entry(key).deleteCredential();
      } catch (error) {
        throw unavailable(error);
      }
    },
    describe: () => `the OS keychain (service "${service}")`,
  };
}

function unavailable(error: unknown): CospecError {
  const message = error instanceof Error ? error.message : String(error);
  const hint =
    process.platform === 'linux'
      ? 'On Linux, coSPEC needs a Secret Service such as GNOME Keyring or KWallet running and unlocked in your session (a D-Bus session bus is required).'
      : 'Unlock your keychain and try again.';
  return new CospecError(
    'SECURE_STORAGE_UNAVAILABLE',
    `coSPEC could not use the system's secure storage to keep your token. ${hint}`,
    message,
  );
}
