import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src-main/platform/events';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { pathsFor } from '../../../src-main/platform/paths';
import { createServices } from '../../../src-main/services';
import {
  createEncryptedFileSecretStore,
  createSecretStore,
  KEYRING_SERVICE,
  secretKeys,
} from '../../../src-main/services/secrets';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { aesEncryptor } from '../../support/aes-encryptor';

// Real Secret Service (gnome-keyring on a private D-Bus session from scripts/with-keyring.sh), real
// `cospec` processes: the app's composition (minus Electron, a test encryptor for safeStorage) and the
// CLI must see one and the same keychain.
const hasBus = Boolean(process.env.DBUS_SESSION_BUS_ADDRESS);
if (!hasBus) console.warn('shared keychain tests skipped: no D-Bus session; run through scripts/with-keyring.sh');

const keyringValue = (key: string) =>
  spawnSync('secret-tool', ['lookup', 'service', KEYRING_SERVICE, 'username', key], { encoding: 'utf8' }).stdout;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}
function cospec(dataDir: string, args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/cospec.mjs', ...args], {
      env: { ...process.env, COSPEC_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The services as src-main/index.ts composes them, with a test encryptor in place of safeStorage. */
async function appServices(dataDir: string, encryptor = aesEncryptor()) {
  return createServices({
    host: 'electron',
    appVersion: '0.0.0-test',
    paths: pathsFor(dataDir),
    logger: createLogger({ sinks: [memorySink()] }),
    events: createEventBus(),
    encryptor,
    openExternal: async () => {},
    protocolRegistered: true,
    policyPath: join(dataDir, 'no-policy.json'),
  });
}

const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), 'cospec-keychain-'));
  dirs.push(d);
  return d;
};
let gitlab: StandIn;
beforeAll(async () => {
  if (hasBus) gitlab = await startGitLabStandIn();
});
afterAll(async () => {
  await gitlab?.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe.runIf(hasBus)('one keychain for the app and the CLI (real Secret Service)', () => {
  it('connect in the app, use it in the CLI, disconnect in the CLI: gone for the app', async () => {
    const dataDir = scratch();
    const app = await appServices(dataDir);
    const bot = gitlab.user('cospec-bot');
    const { account } = await app.handlers.accounts.connectWithToken({
      instanceUrl: gitlab.url,
      token: bot.token,
      allowHttp: true,
    });
    // The token is in the OS keychain under the CLI's service name, not in an app-only file.
    expect(keyringValue(secretKeys.token(account.id))).toBe(bot.token);
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);

    const list = await cospec(dataDir, ['accounts', 'list', '--json']);
    expect(list.code, list.stderr || list.stdout).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ id: string }>).map((a) => a.id)).toEqual([account.id]);
    // `accounts test` calls the stand-in with the token: the CLI really has it.
    const tested = await cospec(dataDir, ['--json', 'accounts', 'test', account.id]);
    expect(tested.code, tested.stderr || tested.stdout).toBe(0);
    // Revalidation fails with an error status when no token is stored; a warning here is plain HTTP.
    const health = (JSON.parse(tested.stdout) as { health: { status: string; signInAgain?: boolean } }).health;
    expect(health.status, JSON.stringify(health)).not.toBe('error');
    expect(health.signInAgain).toBeUndefined();

    const removed = await cospec(dataDir, ['accounts', 'remove', account.id]);
    expect(removed.code, removed.stderr || removed.stdout).toBe(0);
    expect(keyringValue(secretKeys.token(account.id))).toBe('');
    await app.dispose();

    // The app, started again over the same data folder, neither lists the account nor finds its token.
    const again = await appServices(dataDir);
    expect(await again.handlers.accounts.list()).toEqual([]);
    await again.dispose();
  }, 120_000);

  it('connect in the CLI, use it in the app', async () => {
    const dataDir = scratch();
    const bot = gitlab.user('cospec-bot');
    const add = await new Promise<Result>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['scripts/cospec.mjs', '--json', 'accounts', 'add', '--url', gitlab.url, '--allow-http'],
        { env: { ...process.env, COSPEC_DATA_DIR: dataDir }, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(`${bot.token}\n`);
    });
    expect(add.code, add.stderr || add.stdout).toBe(0);
    const { account } = JSON.parse(add.stdout) as { account: { id: string } };
    const app = await appServices(dataDir);
    const revalidated = await app.handlers.accounts.revalidate(account.id);
    expect(revalidated.health.status, JSON.stringify(revalidated.health)).not.toBe('error');
    expect(revalidated.health.signInAgain).toBeUndefined();
    await app.handlers.accounts.disconnect(account.id);
    await app.dispose();
    const list = await cospec(dataDir, ['accounts', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(keyringValue(secretKeys.token(account.id))).toBe('');
  }, 120_000);

  it('moves every entry of an old encrypted file into the keychain on first start, then removes the file', async () => {
    const dataDir = scratch();
    const key = randomBytes(32);
    const old = createEncryptedFileSecretStore({
      dataDir,
      encryptor: aesEncryptor(key),
      allowPlaintext: () => false,
    });
    const id = randomUUID();
    const entries = {
      [secretKeys.token(id)]: `glpat-${randomUUID()}`,
      [secretKeys.refresh(id)]: `refresh-${randomUUID()}`,
      [`model-key:${randomUUID()}`]: `sk-${randomUUID()}`,
    };
    for (const [k, v] of Object.entries(entries)) await old.set(k, v);
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(true);

    const store = await createSecretStore({ dataDir, encryptor: aesEncryptor(key), allowPlaintext: () => false });
    for (const [k, v] of Object.entries(entries)) {
      expect(keyringValue(k)).toBe(v);
      expect(await store.get(k)).toBe(v);
    }
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(false);
    for (const k of Object.keys(entries)) await store.delete(k);
  }, 60_000);

  it('keeps the old file and its unreadable entries when an entry cannot be moved, nothing lost', async () => {
    const dataDir = scratch();
    const key = randomBytes(32);
    const old = createEncryptedFileSecretStore({ dataDir, encryptor: aesEncryptor(key), allowPlaintext: () => false });
    const good = `account:${randomUUID()}:token`;
    await old.set(good, 'glpat-good');
    // An entry written under another OS key cannot be decrypted now (the keyring changed, say).
    const other = createEncryptedFileSecretStore({
      dataDir,
      encryptor: aesEncryptor(randomBytes(32)),
      allowPlaintext: () => false,
    });
    const stuck = `account:${randomUUID()}:token`;
    await other.set(stuck, 'glpat-stuck');

    const store = await createSecretStore({ dataDir, encryptor: aesEncryptor(key), allowPlaintext: () => false });
    expect(keyringValue(good)).toBe('glpat-good');
    expect(await store.get(good)).toBe('glpat-good');
    expect(keyringValue(stuck)).toBe('');
    expect(existsSync(join(dataDir, 'secrets.json'))).toBe(true);
    await store.delete(good);
    await store.delete(stuck);
  }, 60_000);
});
