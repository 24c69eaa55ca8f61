import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { createCospecApi } from '../../src-shared/ipc/client';
import type { CospecApi } from '../../src-shared/ipc/contract';
import { createEventBus } from '../platform/events';
import { createDispatcher } from '../platform/ipc-dispatch';
import { createLogger, fileSink } from '../platform/logger';
import { defaultDataDir, pathsFor } from '../platform/paths';
import { createServices, type AppServices } from '../services';
import { registerAccounts } from './commands/accounts';
import { registerRepos } from './commands/repos';
import { registerRuns } from './commands/runs';
import type { CliContext } from './context';
import { createOutput, EXIT, reportError } from './io';

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    the operation failed (the message and an error code say why)
  2    bad arguments or usage
  3    no container engine answered (install or start Docker or Podman)
  4    the run finished but did not succeed (failed, cancelled or interrupted)
  130  interrupted (Ctrl-C)

Environment:
  COSPEC_DATA_DIR   data directory shared with the desktop app (same as --data-dir)
  DOCKER_HOST       container engine to use (unix://, tcp:// with TLS, ssh://)`;

function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Runs the cospec CLI with these arguments and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('cospec');
  let exitCode: number = EXIT.ok;
  let services: AppServices | undefined;
  let api: CospecApi | undefined;
  const events = createEventBus();
  let json = argv.includes('--json');
  const out = () => createOutput(json);

  const ctx: CliContext = {
    get out() {
      return out();
    },
    events,
    async api() {
      if (api) return api;
      const opts = program.opts<{ dataDir?: string }>();
      const paths = pathsFor(opts.dataDir ?? defaultDataDir());
      const logger = createLogger({ sinks: [fileSink(join(paths.logsDir, 'cli.log'))] });
      services = await createServices({
        host: 'cli',
        appVersion: appVersion(),
        paths,
        logger,
        events,
        openExternal: openInBrowser,
        protocolRegistered: false,
      });
      const dispatch = createDispatcher(services.handlers, logger);
      api = createCospecApi({ invoke: dispatch, subscribe: (event, listener) => events.on(event, listener) });
      return api;
    },
  };

  program
    .description('coSPEC Desktop from the command line: GitLab accounts, repositories and sandboxed agent runs')
    .version(appVersion())
    .option('--json', 'machine-readable output (one JSON document)')
    .option('--data-dir <dir>', 'data directory (default: the desktop app’s; COSPEC_DATA_DIR also sets it)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .hook('preAction', () => {
      json = Boolean(program.opts<{ json?: boolean }>().json);
    });
  registerAccounts(program, ctx);
  registerRepos(program, ctx);
  registerRuns(program, ctx, (code) => (exitCode = code));

  // Ctrl-C: cancel what is running (containers are stopped and removed), then exit 130.
  const onInterrupt = () => {
    process.stderr.write('\ncospec: interrupted, cleaning up…\n');
    void (services?.dispose() ?? Promise.resolve()).finally(() => process.exit(EXIT.interrupted));
  };
  process.once('SIGINT', onInterrupt);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with exit code 0; everything else commander refuses is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    exitCode = reportError(error, out());
  } finally {
    process.off('SIGINT', onInterrupt);
    await services?.dispose();
  }
  return exitCode;
}

async function openInBrowser(url: string): Promise<void> {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  await new Promise<void>((resolve) => {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => resolve()); // no browser launcher: the URL is printed for the user anyway
    child.on('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
