import { CospecError } from '../../../src-shared/ipc/errors';
import { sharedKeychain, type Keychain } from './keychain-thread';
import type { SecretStore } from './types';

/** A keychain-backed store that can say whether a keychain answers at all in this session. */
export interface KeyringSecretStore extends SecretStore {
  answers(): Promise<boolean>;
}

export const KEYRING_SERVICE = 'coSPEC Desktop';

/**
 * Secrets in the OS keychain (macOS Keychain, Windows Credential Manager, the Secret Service on
 * Linux) through @napi-rs/keyring on its own thread (keychain-thread.ts); the one store of the app,
 * the CLI and browser mode (see choose.ts). The keychain is injectable for tests.
 */
export function createKeyringSecretStore(
  service = KEYRING_SERVICE,
  keychain: Keychain = sharedKeychain(),
): KeyringSecretStore {
  return {
    async answers() {
      // Reading an entry that does not exist succeeds (null) only when a keychain is really there.
      // Tried twice like every call (keychainCall): one refusal of a busy daemon must not send the
      // app to its file fallback or make the CLI refuse to keep a token.
      try {
        await keychainCall(() => keychain.get(service, 'cospec:probe'));
        return true;
      } catch {
        return false;
      }
    },
    async get(key) {
      return keychainCall(() => keychain.get(service, key));
    },
    async set(key, value) {
      await keychainCall(() => keychain.set(service, key, value));
    },
    async delete(key) {
      await keychainCall(() => keychain.delete(service, key));
    },
    describe: () => `the OS keychain (service "${service}")`,
  };
}

/**
 * One keychain call, tried a second time after a short pause before it counts as unavailable: a
 * Secret Service busy with other clients (a loaded machine, a keyring daemon still starting at login)
 * can fail one call and answer the next, and a token the user just typed must not be lost to that.
 */
async function keychainCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      return await call();
    } catch (error) {
      throw unavailable(error);
    }
  }
}

function unavailable(error: unknown): CospecError {
  const message = error instanceof Error ? error.message : String(error);
  const hint =
    process.platform === 'linux'
      ? 'On Linux, coSPEC needs a Secret Service such as GNOME Keyring or KWallet running and unlocked in your session (a D-Bus session bus is required).'
      : 'Unlock your keychain and try again.';
  // The keychain's own words go in the message too: "AccessDenied" and "no such service" want
  // different fixes, and a report that shows only the first line should still tell them apart.
  const said = message.replace(/\s+/g, ' ').trim().slice(0, 160);
  return new CospecError(
    'SECURE_STORAGE_UNAVAILABLE',
    `coSPEC could not use the system's secure storage to keep your token${said ? ` (${said})` : ''}. ${hint}`,
    message,
  );
}
