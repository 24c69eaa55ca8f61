/**
 * The flag installed launchers pass before the user's arguments (the /usr/bin/cospec script of the
 * deb/rpm, bin/cospec.cmd on Windows; see resources/build/electron-builder.cjs). It says "this is the
 * CLI" without doubt, so any cospec arguments, even ones that look like Chromium switches, reach it.
 */
export const CLI_FLAG = '--cospec-cli';

/** The CLI's top-level commands (src-main/cli/index.ts), which the app binary also answers directly. */
export const CLI_COMMANDS: readonly string[] = ['accounts', 'repos', 'agents', 'runs', 'run', 'serve-web', 'help'];

/**
 * Decides from the Electron process's argv whether this launch is the CLI, and with which arguments.
 * Returns the CLI's arguments, or null for a normal window launch. `defaultApp` is Electron's
 * process.defaultApp: `electron . args` has the app path as an extra leading argument.
 *
 * Only the first user argument counts: the OS adds its own (a cospec:// link, `--no-sandbox`, a
 * file), which must open the window as before; and nothing later in argv can turn a window launch
 * into a CLI one.
 */
export function cliArgsFromArgv(argv: readonly string[], defaultApp: boolean): string[] | null {
  const user = argv.slice(defaultApp ? 2 : 1);
  const [first, ...rest] = user;
  if (first === CLI_FLAG) return rest;
  if (first !== undefined && CLI_COMMANDS.includes(first)) return [...user];
  return null;
}
