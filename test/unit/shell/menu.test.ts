import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { menuTemplate, type MenuOptions } from '../../../src-main/shell/menu';

function options(overrides: Partial<MenuOptions> = {}): MenuOptions {
  return {
    platform: 'linux',
    appName: 'coSPEC Desktop',
    development: false,
    updatesEnabled: true,
    actions: { openSettings: vi.fn(), checkForUpdates: vi.fn() },
    ...overrides,
  };
}

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? flatten(i.submenu) : [])]);
}
const find = (items: MenuItemConstructorOptions[], id: string) => flatten(items).find((i) => i.id === id);
const roles = (items: MenuItemConstructorOptions[]) =>
  flatten(items)
    .map((i) => i.role)
    .filter(Boolean);
const click = (item: MenuItemConstructorOptions | undefined) => (item?.click as unknown as () => void | undefined)?.();

describe('application menu', () => {
  it('macOS: the app menu holds About, Check for Updates, Settings (⌘,), Services, Hide and Quit', () => {
    const o = options({ platform: 'darwin' });
    const template = menuTemplate(o);
    expect(template[0]!.label).toBe('coSPEC Desktop');
    const appMenu = (template[0]!.submenu as MenuItemConstructorOptions[]).map((i) => i.id ?? i.role ?? i.type);
    expect(appMenu).toEqual([
      'about',
      'check-for-updates',
      'separator',
      'settings',
      'separator',
      'services',
      'separator',
      'hide',
      'hideOthers',
      'unhide',
      'separator',
      'quit',
    ]);
    expect(find(template, 'settings')?.accelerator).toBe('CmdOrCtrl+,');
    expect(roles(template)).toContain('windowMenu');
    click(find(template, 'settings'));
    expect(o.actions.openSettings).toHaveBeenCalledOnce();
    click(find(template, 'check-for-updates'));
    expect(o.actions.checkForUpdates).toHaveBeenCalledOnce();
  });

  it('Windows and Linux: File has Settings (Ctrl+,) and Quit/Exit, Help has Check for Updates and About', () => {
    for (const platform of ['linux', 'win32'] as const) {
      const template = menuTemplate(options({ platform }));
      expect(template.map((m) => m.label)).toEqual(['&File', '&Edit', '&View', '&Window', '&Help']);
      const file = (template[0]!.submenu as MenuItemConstructorOptions[]).map((i) => i.id ?? i.type);
      expect(file).toEqual(['settings', 'separator', 'quit']);
      expect(find(template, 'settings')?.accelerator).toBe('CmdOrCtrl+,');
      const help = (template[4]!.submenu as MenuItemConstructorOptions[]).map((i) => i.id ?? i.type);
      expect(help).toEqual(['check-for-updates', 'separator', 'about']);
      expect(find(template, 'quit')?.label).toBe(platform === 'win32' ? 'E&xit' : '&Quit');
    }
    expect(find(menuTemplate(options({ platform: 'linux' })), 'quit')?.accelerator).toBe('Ctrl+Q');
  });

  it('Reload and developer tools only in development', () => {
    for (const platform of ['darwin', 'linux', 'win32'] as const) {
      for (const role of ['reload', 'forceReload', 'toggleDevTools'])
        expect(roles(menuTemplate(options({ platform })))).not.toContain(role);
      expect(roles(menuTemplate(options({ platform, development: true })))).toEqual(
        expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']),
      );
    }
  });

  it('hides Check for Updates when updates are off', () => {
    for (const platform of ['darwin', 'linux'] as const) {
      const template = menuTemplate(options({ platform, updatesEnabled: false }));
      expect(find(template, 'check-for-updates')).toBeUndefined();
      expect(find(template, 'about')).toBeDefined();
    }
  });

  it("macOS offers Install 'cospec' Command in PATH when the shell provides it; other OSes get it from the installer", () => {
    const installCliCommand = vi.fn();
    const mac = menuTemplate(
      options({ platform: 'darwin', actions: { openSettings: vi.fn(), checkForUpdates: vi.fn(), installCliCommand } }),
    );
    click(find(mac, 'install-cli'));
    expect(installCliCommand).toHaveBeenCalledTimes(1);
    expect(find(menuTemplate(options({ platform: 'darwin' })), 'install-cli')).toBeUndefined();
    expect(find(menuTemplate(options({ platform: 'linux' })), 'install-cli')).toBeUndefined();
  });
});
