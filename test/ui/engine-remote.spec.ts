import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import {
  remoteEngineSkipReason,
  startSshEngine,
  type SshEngineFixture,
} from '../integration/sandbox/remote-engine-harness';

/**
 * Settings → Container engine with a remote engine over ssh: the user enters the build
 * host's address, sees exactly what to run when its host key is not known yet, and the engine is
 * ready once it is. The engine is this machine's Podman behind an sshd of the test's own.
 */

const skip = remoteEngineSkipReason('ssh');
if (skip) console.warn(`[ui] skipping the remote engine settings test: ${skip}`);

test.describe('settings: a remote container engine over ssh', () => {
  test.use({ startAt: '#/settings' });
  test.skip(Boolean(skip), `the ssh engine harness cannot run here: ${skip}`);

  let ssh: SshEngineFixture;
  const saved = { identity: process.env.COSPEC_SSH_IDENTITY, knownHosts: process.env.COSPEC_SSH_KNOWN_HOSTS };
  test.beforeAll(async () => {
    ssh = await startSshEngine();
  });
  test.afterAll(async () => {
    for (const [key, value] of [
      ['COSPEC_SSH_IDENTITY', saved.identity],
      ['COSPEC_SSH_KNOWN_HOSTS', saved.knownHosts],
    ] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await ssh?.stop();
  });

  test('explains an unknown host key, then connects once the key is known', async ({ app }) => {
    const { page } = app;
    // The services read the user's ssh settings from their environment: the harness's key, and a
    // known_hosts that does not know this host yet.
    const knownHosts = join(ssh.dir, 'ui-known_hosts');
    await writeFile(knownHosts, '');
    process.env.COSPEC_SSH_IDENTITY = ssh.env.COSPEC_SSH_IDENTITY;
    process.env.COSPEC_SSH_KNOWN_HOSTS = knownHosts;

    // The card first finds this machine's engine on its own.
    await expect(page.getByText(/Ready|The container engine cannot be used/).first()).toBeVisible({ timeout: 30_000 });
    await page.getByLabel('Engine socket or URL').fill(ssh.dockerHost);
    await page.getByRole('button', { name: 'Use this engine' }).click();
    await expect.poll(async () => (await app.services.handlers.settings.get()).sandbox.engine).toBe(ssh.dockerHost);
    const notice = page.getByText(/host key/i).first();
    await expect(notice).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText(/ssh-keyscan -p \d+ 127\.0\.0\.1/).first()).toBeVisible();
    await app.snap('settings-engine-ssh-unknown-host');

    // What the message says to do, done: the host's key goes into known_hosts.
    await writeFile(knownHosts, `${ssh.hostKeyLine}\n`);
    await page.getByRole('button', { name: 'Check again' }).click();
    await expect(page.getByText('Ready')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByText(ssh.dockerHost)).toBeVisible();
    expect((await app.services.handlers.settings.get()).sandbox.engine).toBe(ssh.dockerHost);
    await app.snap('settings-engine-ssh-ready');
  });
});
