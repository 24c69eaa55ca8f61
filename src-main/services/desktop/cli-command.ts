/**
 * macOS has no installer step that can put a command on the PATH, so, as VS Code does, the app
 * menu offers "Install 'cospec' Command in PATH": it writes /usr/local/bin/cospec, a two-line
 * launcher that starts this app with `--cospec-cli` (src-main/cli/launch.ts), asking for an
 * administrator's password through macOS's own prompt (osascript … with administrator privileges).
 *
 * The launcher's text is passed base64-encoded, so no character of the app's path (spaces, quotes,
 * `$`) is ever interpreted by AppleScript or the shell on its way to the file.
 */

export const MAC_CLI_TARGET = '/usr/local/bin/cospec';

/** The launcher: runs the app's own executable in CLI mode with every argument passed through. */
export function cliLauncherScript(appExecutable: string): string {
  if (!appExecutable.startsWith('/'))
    throw new Error(`the app's executable must be an absolute path: ${appExecutable}`);
  const quoted = `'${appExecutable.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh\n# Installed by coSPEC Desktop (menu: Install 'cospec' Command in PATH).\nexec ${quoted} --cospec-cli "$@"\n`;
}

/** osascript's arguments that install the launcher at `target` as an administrator. */
export function installCliCommandArgs(appExecutable: string, target = MAC_CLI_TARGET): string[] {
  if (!/^\/[\w./-]+$/.test(target)) throw new Error(`unexpected install target ${target}`);
  const encoded = Buffer.from(cliLauncherScript(appExecutable), 'utf8').toString('base64');
  const dir = target.slice(0, target.lastIndexOf('/')) || '/';
  const shell = `mkdir -p ${dir} && echo ${encoded} | /usr/bin/base64 --decode > ${target} && chmod 755 ${target}`;
  return ['-e', `do shell script "${shell}" with administrator privileges`];
}
