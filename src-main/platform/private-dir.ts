import { chmodSync, mkdirSync } from 'node:fs';

/**
 * Makes a folder only its owner can enter (0700), creating it when missing and tightening it when an
 * older version or a loose umask left it open. Everything the app keeps (settings, encrypted
 * secrets, run records, logs, clones) lives under such a folder, so other users of the machine read
 * none of it whatever the modes of the files inside. No-op on Windows, where ACLs of the profile
 * folder do this job.
 */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') chmodSync(path, 0o700);
}
