/**
 * The narrow secret-storage interfaces. The shell adapts Electron's safeStorage to an Encryptor;
 * outside Electron the OS keychain backs a SecretStore directly.
 */
export interface Encryptor {
  /** False when the OS offers no real protection (Linux basic_text backend). */
  isStrong(): boolean;
  /** Names the backend for messages, e.g. "gnome_libsecret", "keychain", "dpapi", "basic_text". */
  backendName(): string;
  encrypt(plain: string): Buffer;
  decrypt(cipher: Buffer): string;
}

export interface SecretStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  /** Where secrets go, for the UI and diagnostics. */
  describe(): string;
}
