import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Encryptor } from '../../src-main/services/secrets';

/** A real encryptor (AES-256-GCM, fixed key per instance) standing in for Electron's safeStorage. */
export function aesEncryptor(key: Buffer = randomBytes(32), strong = true, backend = 'gnome_libsecret'): Encryptor {
  return {
    isStrong: () => strong,
    backendName: () => backend,
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decrypt(cipher) {
      const d = createDecipheriv('aes-256-gcm', key, cipher.subarray(0, 12));
      d.setAuthTag(cipher.subarray(12, 28));
      return Buffer.concat([d.update(cipher.subarray(28)), d.final()]).toString('utf8');
    },
  };
}
