import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEncryptedFileSecretStore,
  SECRET_READ_TTL_MS,
  withReadCache,
  type SecretStore,
} from '../../../src-main/services/secrets';
import { aesEncryptor } from '../../support/aes-encryptor';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A real encrypted-file store, with the reads that reached it counted. */
function realStore(): { store: SecretStore; reads: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'cospec-secrets-cache-'));
  dirs.push(dir);
  const file = createEncryptedFileSecretStore({ dataDir: dir, encryptor: aesEncryptor(), allowPlaintext: () => false });
  let reads = 0;
  return {
    store: {
      get: (key) => {
        reads++;
        return file.get(key);
      },
      set: (key, value) => file.set(key, value),
      delete: (key) => file.delete(key),
      describe: () => file.describe(),
    },
    reads: () => reads,
  };
}

describe('secret reads kept briefly', () => {
  it('reads the store once for calls close together, and again after the TTL', async () => {
    const { store, reads } = realStore();
    let now = 1_000;
    const cached = withReadCache(store, { now: () => now });
    await store.set('account:a:token', 'glpat-one');
    const answers = await Promise.all([cached.get('account:a:token'), cached.get('account:a:token')]);
    expect(answers).toEqual(['glpat-one', 'glpat-one']);
    expect(await cached.get('account:a:token')).toBe('glpat-one');
    expect(reads()).toBe(1);
    // Another process (the `cospec` command) replaced it: seen once the TTL has passed.
    await store.set('account:a:token', 'glpat-two');
    now += SECRET_READ_TTL_MS - 1;
    expect(await cached.get('account:a:token')).toBe('glpat-one');
    now += 1;
    expect(await cached.get('account:a:token')).toBe('glpat-two');
    expect(reads()).toBe(2);
  });

  it('sees its own writes and deletes at once', async () => {
    const { store } = realStore();
    const cached = withReadCache(store);
    await cached.set('k', 'first');
    expect(await cached.get('k')).toBe('first');
    await cached.set('k', 'second');
    expect(await cached.get('k')).toBe('second');
    await cached.delete('k');
    expect(await cached.get('k')).toBeUndefined();
    expect(await store.get('k')).toBeUndefined();
  });

  it('does not keep a read that was under way when the value changed', async () => {
    const { store, reads } = realStore();
    const cached = withReadCache(store);
    await store.set('k', 'old');
    const before = cached.get('k');
    await cached.set('k', 'new');
    expect(await before).toBe('old');
    expect(await cached.get('k')).toBe('new');
    expect(reads()).toBe(2);
  });

  it('does not keep a failed read', async () => {
    let fail = true;
    let reads = 0;
    const cached = withReadCache({
      get: async () => {
        reads++;
        if (fail) throw new Error('the Secret Service did not answer');
        return 'value';
      },
      set: async () => undefined,
      delete: async () => undefined,
      describe: () => 'flaky',
    });
    await expect(cached.get('k')).rejects.toThrow('did not answer');
    fail = false;
    expect(await cached.get('k')).toBe('value');
    expect(reads).toBe(2);
  });
});
