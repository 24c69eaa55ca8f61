import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, skipWithoutElectron, test } from './fixtures';

// The menu and window memory in real Electron; the logic itself is unit-tested in
// test/unit/shell/menu.test.ts and test/unit/desktop/.
skipWithoutElectron();

test('installs the application menu; Settings (CmdOrCtrl+,) shows the settings screen', async ({ app, window }) => {
  const item = await app.evaluate(({ Menu }) => {
    const settings = Menu.getApplicationMenu()?.getMenuItemById('settings');
    return settings ? { label: settings.label, accelerator: settings.accelerator ?? null } : null;
  });
  expect(item).toMatchObject({ accelerator: 'CmdOrCtrl+,' });
  await app.evaluate(({ Menu, BrowserWindow }) => {
    const settings = Menu.getApplicationMenu()?.getMenuItemById('settings');
    settings?.click(undefined, BrowserWindow.getAllWindows()[0], undefined as never);
  });
  await expect.poll(() => window.evaluate(() => location.hash)).toBe('#/settings');
});

test('remembers the window bounds in settings when it closes', async ({ app, launcher }) => {
  await app.evaluate(({ BrowserWindow }) =>
    BrowserWindow.getAllWindows()[0]?.setBounds({ x: 40, y: 60, width: 1000, height: 700 }),
  );
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close());
  await expect
    .poll(async () => {
      const config = JSON.parse(await readFile(join(launcher.dataDir, 'config.json'), 'utf8').catch(() => '{}')) as {
        window?: { width: number; height: number };
      };
      return config.window && { width: config.window.width, height: config.window.height };
    })
    .toEqual({ width: 1000, height: 700 });
});
