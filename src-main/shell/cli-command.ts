import { execFile } from 'node:child_process';
import { dialog } from 'electron';
import type { Logger } from '../platform/logger';
import { MAC_CLI_TARGET, installCliCommandArgs } from '../services/desktop/cli-command';

/** Runs the macOS install of the `cospec` launcher and says how it went. */
export async function installCliCommand(appExecutable: string, logger: Logger): Promise<void> {
  const outcome = await new Promise<Error | undefined>((resolve) =>
    execFile('/usr/bin/osascript', installCliCommandArgs(appExecutable), { timeout: 120_000 }, (error) =>
      resolve(error ?? undefined),
    ),
  );
  if (!outcome) {
    await dialog.showMessageBox({
      type: 'info',
      message: "The 'cospec' command is installed",
      detail: `${MAC_CLI_TARGET} starts coSPEC Desktop's command line. Open a new terminal and run \`cospec --help\`.`,
    });
    return;
  }
  // A cancelled password prompt is the user's choice, not an error worth a dialog.
  if (/User canceled|-128/.test(outcome.message)) return;
  logger.warn('installing the cospec command failed', { error: outcome.message });
  await dialog.showMessageBox({
    type: 'error',
    message: "The 'cospec' command could not be installed",
    detail: outcome.message,
  });
}
