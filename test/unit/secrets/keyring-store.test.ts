import { beforeEach, describe, expect, it } from 'vitest';
import type { Keychain } from '../../../src-main/services/secrets/keychain-thread';
import { createKeyringSecretStore as createStore } from '../../../src-main/services/secrets/keyring-store';

/**
 * A busy Secret Service refuses a call now and then and answers the next one: the store tries each
 * call, the "is there a keychain" probe included, a second time before it gives up.
 */

const keychain = { refusals: 0, values: new Map<string, string>() };

/** A keychain that refuses the next `refusals` calls, as a busy Secret Service does. */
const busyKeychain: Keychain = {
  async get(service, key) {
    refuseOnce();
    return keychain.values.get(`${service}/${key}`);
  },
  async set(service, key, value) {
    refuseOnce();
    keychain.values.set(`${service}/${key}`, value);
  },
  async delete(service, key) {
    refuseOnce();
    keychain.values.delete(`${service}/${key}`);
  },
};
function refuseOnce(): void {
  if (keychain.refusals > 0) {
    keychain.refusals--;
    throw new Error('org.freedesktop.DBus.Error.NoReply: busy');
  }
}
const createKeyringSecretStore = (service: string) => createStore(service, busyKeychain);

describe('keychain store on a busy Secret Service', () => {
  beforeEach(() => {
    keychain.refusals = 0;
    keychain.values.clear();
  });

  it('still finds the keychain when the probe is refused once', async () => {
    keychain.refusals = 1;
    expect(await createKeyringSecretStore('test').answers()).toBe(true);
  });

  it('says there is no keychain when the probe is refused twice', async () => {
    keychain.refusals = 2;
    expect(await createKeyringSecretStore('test').answers()).toBe(false);
  });

  it('keeps a token when the first write is refused', async () => {
    const store = createKeyringSecretStore('test');
    keychain.refusals = 1;
    await store.set('token', 'glpat-secret');
    expect(await store.get('token')).toBe('glpat-secret');
  });

  it('reports SECURE_STORAGE_UNAVAILABLE when a write is refused twice', async () => {
    keychain.refusals = 2;
    await expect(createKeyringSecretStore('test').set('token', 'x')).rejects.toMatchObject({
      code: 'SECURE_STORAGE_UNAVAILABLE',
    });
  });
});
