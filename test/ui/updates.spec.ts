import type { Updater } from '../../src-main/services/updates';
import { expect, requireKeyring, test } from './fixtures';

/**
 * A stand-in for electron-updater behind the services' Updater seam: the test decides when the
 * download progresses and finishes, and sees whether the app asked to install.
 */
function fakeUpdater() {
  let report: (percent: number) => void = () => undefined;
  let finish: () => void = () => undefined;
  const calls = { quitAndInstall: 0 };
  const updater: Updater = {
    check: async () => ({ version: '9.9.0' }),
    download: (onPercent) =>
      new Promise<void>((resolve) => {
        report = onPercent;
        finish = resolve;
      }),
    quitAndInstall: () => {
      calls.quitAndInstall += 1;
    },
  };
  return { updater, calls, progress: (percent: number) => report(percent), finish: () => finish() };
}

test.describe('updates', () => {
  const fake = fakeUpdater();
  test.use({ updater: fake.updater });

  test('shows an available update, its download progress, then restarts to install it', async ({ app }) => {
    requireKeyring();
    const { page } = app;
    const notice = page.getByRole('region', { name: 'Update' });
    await expect(page.getByText(/^Version /)).toBeVisible();
    await expect(notice).toHaveCount(0);

    // The background check (or "Check for Updates…" in the menu) goes through the real service.
    await app.services.handlers.updates.check();
    await expect(notice.getByText('Update available — version 9.9.0')).toBeVisible();
    await app.snap('updates-available');

    await notice.getByRole('button', { name: 'Download' }).click();
    await expect(notice.getByText('Downloading — version 9.9.0')).toBeVisible();
    await expect.poll(() => app.dispatched.some((d) => d.service === 'updates' && d.method === 'download')).toBe(true);
    fake.progress(42.4);
    await expect(notice.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '42');
    await expect(notice.getByText('42%')).toBeVisible();
    await app.snap('updates-downloading');

    fake.finish();
    const restart = notice.getByRole('button', { name: 'Restart to update' });
    await expect(restart).toBeVisible();
    await app.snap('updates-ready');
    expect(fake.calls.quitAndInstall).toBe(0);
    await restart.click();
    await expect.poll(() => fake.calls.quitAndInstall).toBe(1);
  });
});

test.describe('a failed update check', () => {
  let failures = 1;
  const flaky: Updater = {
    check: async () => {
      if (failures-- > 0) throw new Error('getaddrinfo ENOTFOUND updates.example.com');
      return { version: '9.9.1' };
    },
    download: async () => undefined,
    quitAndInstall: () => undefined,
  };
  test.use({ updater: flaky });

  test('says why quietly and retries', async ({ app }) => {
    requireKeyring();
    const notice = app.page.getByRole('region', { name: 'Update' });
    await expect(app.page.getByText(/^Version /)).toBeVisible();
    await app.services.handlers.updates.check();
    await expect(notice.getByText(/Could not check for updates: getaddrinfo ENOTFOUND/)).toBeVisible();
    await app.snap('updates-error');
    await notice.getByRole('button', { name: 'Retry' }).click();
    await expect(notice.getByText('Update available — version 9.9.1')).toBeVisible();
  });
});

test.describe('updates turned off by policy', () => {
  test.use({ updater: fakeUpdater().updater, policy: { version: 1, updates: { enabled: false } } });

  test('shows nothing and refuses to check', async ({ app }) => {
    requireKeyring();
    const { page } = app;
    await expect(page.getByText(/^Version /)).toBeVisible();
    expect((await app.services.handlers.updates.getState()).status).toBe('disabled');
    await expect(app.services.handlers.updates.check()).rejects.toThrow(/managed by your organization/);
    await expect(page.getByRole('heading', { level: 1, name: 'GitLab' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'Update' })).toHaveCount(0);
    await app.snap('updates-policy-off');
  });
});
