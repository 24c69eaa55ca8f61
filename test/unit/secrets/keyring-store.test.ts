import { beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * A busy Secret Service refuses a call now and then and answers the next one: the store tries each
 * call, the "is there a keychain" probe included, a second time before it gives up.
 */

const keychain = vi.hoisted(() => ({ refusals: 0, values: new Map<string, string>() }));

vi.mock('@napi-rs/keyring', () => ({
  AsyncEntry: class {
    constructor(
      private readonly service: string,
      private readonly key: string,
    ) {}
    private refuseOnce(): void {
      if (keychain.refusals > 0) {
        keychain.refusals--;
        throw new Error('org.freedesktop.DBus.Error.NoReply: busy');
      }
    }
    async getPassword(): Promise<string | null> {
      this.refuseOnce();
      return keychain.values.get(`${this.service}/${this.key}`) ?? null;
    }
    async setPassword(value: string): Promise<void> {
      this.refuseOnce();
      keychain.values.set(`${this.service}/${this.key}`, value);
    }
    async deleteCredential(): Promise<boolean> {
      this.refuseOnce();
      return keychain.values.delete(`${this.service}/${this.key}`);
    }
  },
}));

const { createKeyringSecretStore } = await import('../../../src-main/services/secrets/keyring-store');

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
