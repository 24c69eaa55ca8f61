import { expect, test } from './fixtures';

test.describe('keyboard navigation between the sections', () => {
  test('Ctrl+1..6 jumps to the sections in sidebar order and focuses the current one', async ({ app }) => {
    const { page } = app;
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(page.getByRole('heading', { level: 1, name: 'GitLab' })).toBeVisible();
    const order: [string, RegExp][] = [
      ['GitLab', /#\/integrations\/gitlab$/],
      ['Accounts', /#\/accounts$/],
      ['Repositories', /#\/repositories$/],
      ['Runs', /#\/runs$/],
      ['Reviews', /#\/reviews$/],
      ['Settings', /#\/settings$/],
    ];
    for (const [i, [label, url]] of [...order.entries()].reverse()) {
      await page.keyboard.press(`Control+${i + 1}`);
      await expect(page).toHaveURL(url);
      const link = nav.getByRole('link', { name: label, exact: true });
      await expect(link).toHaveAttribute('aria-current', 'page');
      await expect(link).toBeFocused();
    }
    // a digit without the modifier, or beyond the sections, does nothing
    await page.keyboard.press('Control+9');
    await page.keyboard.press('2');
    await expect(page).toHaveURL(/#\/integrations\/gitlab$/);
  });

  test('Up/Down move a roving focus through the sidebar; Enter opens the focused section', async ({ app }) => {
    const { page } = app;
    const nav = page.getByRole('navigation', { name: 'Main' });
    const link = (name: string) => nav.getByRole('link', { name, exact: true });
    await app.goto('#/repositories');
    await expect(link('Repositories')).toHaveAttribute('aria-current', 'page');
    // only the current section is in the tab order
    await expect(link('Repositories')).toHaveAttribute('tabindex', '0');
    await expect(link('Runs')).toHaveAttribute('tabindex', '-1');

    await link('Repositories').focus();
    await page.keyboard.press('ArrowDown');
    await expect(link('Runs')).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await expect(link('Reviews')).toBeFocused();
    // focus moves, the route does not until Enter
    await expect(page).toHaveURL(/#\/repositories$/);
    await app.snap('keyboard-focus');

    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/#\/reviews$/);
    await expect(link('Reviews')).toHaveAttribute('aria-current', 'page');
    await expect(link('Repositories')).not.toHaveAttribute('aria-current', /.*/);

    await link('Reviews').focus();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await expect(link('Accounts')).toBeFocused();
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp'); // wraps from the first to the last
    await expect(link('Settings')).toBeFocused();
    await page.keyboard.press('Home');
    await expect(link('GitLab')).toBeFocused();
    await page.keyboard.press('End');
    await expect(link('Settings')).toBeFocused();
  });
});
