import { Command, CommanderError } from 'commander';
import { createCospecApi } from '../../src-shared/ipc/client';
import type { CospecApi } from '../../src-shared/ipc/contract';
import { createEventBus } from '../platform/events';
import type { AppServices } from '../services';
import { registerAccounts } from './commands/accounts';
import { registerAgents } from './commands/agents';
import { registerRepos } from './commands/repos';
import { registerRuns } from './commands/runs';
import { registerServeWeb } from './commands/serve-web';
import type { CliContext } from './context';
import { createOutput, EXIT, reportError } from './io';
import { appVersion, createNodeServices } from './node-services';

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

/**
 * Runs the cospec CLI with these arguments and returns the exit code. `resourcesDir` is where an
 * installed app keeps resources/sandbox and resources/agents (src-main/index.ts passes it).
 */
export async function main(argv: string[], host: { resourcesDir?: string } = {}): Promise<number> {
  const program = new Command('cospec');
  let exitCode: number = EXIT.ok;
  let services: AppServices | undefined;
  let api: CospecApi | undefined;
  const events = createEventBus();
  const disposers: Array<() => Promise<void>> = [];
  const disposeAll = async () => {
    for (const dispose of disposers.splice(0).reverse()) await dispose();
    await services?.dispose();
  };
  let json = argv.includes('--json');
  const out = () => createOutput(json);

  const ctx: CliContext = {
    get out() {
      return out();
    },
    events,
    onExit: (dispose) => void disposers.push(dispose),
    async api() {
      if (api) return api;
      const opts = program.opts<{ dataDir?: string }>();
      const built = await createNodeServices({
        host: 'cli',
        dataDir: opts.dataDir,
        events,
        logFile: 'cli.log',
        ...(host.resourcesDir ? { resourcesDir: host.resourcesDir } : {}),
      });
      services = built.services;
      const dispatch = built.dispatch;
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
  registerAgents(program, ctx);
  registerRuns(program, ctx, (code) => (exitCode = code));
  registerServeWeb(program, ctx);

  // Ctrl-C: cancel what is running (containers are stopped and removed), then exit 130.
  // Once: `npm start` passes the terminal's Ctrl-C on to this process, which then sees it twice.
  let interrupted = false;
  const onInterrupt = () => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write('\ncospec: interrupted, cleaning up…\n');
    void disposeAll().finally(() => process.exit(EXIT.interrupted));
  };
  process.on('SIGINT', onInterrupt);
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
    await disposeAll();
  }
  return exitCode;
}
