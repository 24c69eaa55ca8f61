import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keychainOnThread } from '../../../src-main/services/secrets/keychain-thread';

/*
 * The thread's own duties, with a stand-in for the library's AsyncEntry class (the real keychain is
 * tested in test/integration/accounts/secure-storage.test.ts): answers go to the call that asked,
 * a refusal fails only its call, and a thread that dies fails what waited on it while the next call
 * gets a new thread.
 */
const FAKE_KEYRING = `
const values = new Map();
let created = 0;
class AsyncEntry {
  constructor(service, key) { this.id = service + '/' + key; this.key = key; created++; }
  async getPassword() {
    if (this.key === 'exit') process.exit(3);
    if (this.key === 'refused') throw new Error('org.freedesktop.DBus.Error.NoReply: busy');
    if (this.key === 'created') return String(created);
    return values.get(this.id) ?? null;
  }
  async setPassword(value) { values.set(this.id, value); }
  async deleteCredential() { return values.delete(this.id); }
}
module.exports = { AsyncEntry };
`;

let dir = '';
let module = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cospec-keychain-thread-'));
  module = join(dir, 'fake-keyring.cjs');
  await writeFile(module, FAKE_KEYRING);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the keychain thread', () => {
  it('answers each of many calls made at once with its own value', async () => {
    const keychain = keychainOnThread({ module });
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    await Promise.all(keys.map((key) => keychain.set('svc', key, `value-${key}`)));
    expect(await Promise.all(keys.map((key) => keychain.get('svc', key)))).toEqual(keys.map((k) => `value-${k}`));
    await keychain.delete('svc', 'key-0');
    expect(await keychain.get('svc', 'key-0')).toBeUndefined();
    expect(await keychain.get('other', 'key-1')).toBeUndefined();
  });

  it('keeps the entry of a key it has used, and not more than a few', async () => {
    const keychain = keychainOnThread({ module });
    await keychain.get('svc', 'a');
    await keychain.get('svc', 'a');
    // 'a' and 'created' itself: two entries made for three calls.
    expect(await keychain.get('svc', 'created')).toBe('2');
    for (let i = 0; i < 40; i++) await keychain.get('svc', `many-${i}`);
    await keychain.get('svc', 'a'); // pushed out by the forty: made again
    expect(Number(await keychain.get('svc', 'created'))).toBeGreaterThan(42);
  });

  it('fails a refused call with the keychain’s reason and answers the next', async () => {
    const keychain = keychainOnThread({ module });
    await expect(keychain.get('svc', 'refused')).rejects.toThrow('NoReply');
    await keychain.set('svc', 'after', 'ok');
    expect(await keychain.get('svc', 'after')).toBe('ok');
  });

  it('fails the calls waiting on a thread that dies, and starts a new thread for the next', async () => {
    const keychain = keychainOnThread({ module });
    await keychain.set('svc', 'kept', 'in the first thread');
    const dying = keychain.get('svc', 'exit');
    const queued = keychain.get('svc', 'kept');
    await expect(dying).rejects.toThrow('the keychain thread stopped (exit code 3)');
    await expect(queued).rejects.toThrow('the keychain thread stopped');
    // A new thread: the stand-in's values lived in the old one.
    expect(await keychain.get('svc', 'kept')).toBeUndefined();
  });

  it('says so when the keychain library cannot be loaded', async () => {
    const keychain = keychainOnThread({ module: join(dir, 'missing.cjs') });
    await expect(keychain.get('svc', 'any')).rejects.toThrow(/Cannot find module/);
  });
});
