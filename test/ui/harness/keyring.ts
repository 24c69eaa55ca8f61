import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface SecretServiceSession {
  /** inherited: scripts/with-keyring.sh already made one; started: we made a private one; missing: cannot. */
  status: 'inherited' | 'started' | 'missing';
  reason?: string;
  stop(): Promise<void>;
}

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

/**
 * Tokens are stored through the OS keychain in Node, so the UI suite needs a Secret Service. Under
 * scripts/with-keyring.sh (npm test) one exists already; for a bare `npm run test:ui` we start a
 * private session bus and an unlocked throw-away gnome-keyring here, never touching the user's own.
 * Workers inherit DBUS_SESSION_BUS_ADDRESS from process.env.
 */
export async function ensureSecretService(): Promise<SecretServiceSession> {
  const noop = async () => undefined;
  if (process.env.GNOME_KEYRING_CONTROL?.includes('cospec-keyring-home')) return { status: 'inherited', stop: noop };
  for (const tool of ['dbus-daemon', 'gnome-keyring-daemon']) {
    if (!has(tool))
      return { status: 'missing', reason: `${tool} is not installed (run: bash scripts/setup/keyring.sh)`, stop: noop };
  }
  const scratch = mkdtempSync(join(tmpdir(), 'cospec-ui-keyring-'));
  mkdirSync(join(scratch, '.local/share/keyrings'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: scratch, XDG_DATA_HOME: join(scratch, '.local/share') };
  delete env.XDG_RUNTIME_DIR; // with it set, the daemon never reports ready here
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children.reverse()) if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    const bus = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1'], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(bus);
    const address = await firstLine(bus);
    // stdbuf: in the foreground it block-buffers stdout into a pipe, and we wait for its first line.
    const keyring = spawn(
      'stdbuf',
      ['-oL', 'gnome-keyring-daemon', '--foreground', '--unlock', '--components=secrets'],
      {
        env: { ...env, DBUS_SESSION_BUS_ADDRESS: address },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    children.push(keyring);
    keyring.stdin?.end('cospec-test');
    // It prints GNOME_KEYRING_CONTROL=… once the unlocked keyring is ready.
    const control = await firstLine(keyring);
    process.env.DBUS_SESSION_BUS_ADDRESS = address;
    process.env.GNOME_KEYRING_CONTROL = control.replace(/^GNOME_KEYRING_CONTROL=/, '');
    return { status: 'started', stop };
  } catch (error) {
    await stop();
    return {
      status: 'missing',
      reason: `could not start a private Secret Service: ${(error as Error).message}`,
      stop: noop,
    };
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error('no stdout'));
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve(line.trim()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${String(child.spawnfile)} exited with ${code}`)));
  });
}
