import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { stderrSink } from '../../platform/logger';
import { startWebHost } from '../../web-host/server';
import type { CliContext } from '../context';
import { UsageError } from '../io';
import { createNodeServices, openInBrowser, REPO_ROOT } from '../node-services';

/** What `serve-web --json` prints once it listens (scripts/start.mjs and the tests read it). */
export interface ServeWebReady {
  url: string;
  origin: string;
}

export function registerServeWeb(program: Command, ctx: CliContext): void {
  program
    .command('serve-web')
    .description(
      'browser mode: serve the app on loopback for a browser (where Electron cannot run, or through an ssh port forward)',
    )
    .option(
      '--port <port>',
      'port to listen on (default: any free one); keep it the same on both ends of a port forward',
    )
    .option('--listen <address>', 'loopback address: 127.0.0.1 or ::1', '127.0.0.1')
    .option('--renderer <dir>', 'the built renderer (default: out/renderer, made by `npm run build`)')
    .option('--no-open', 'do not try to open the system browser')
    .action(async (opts: { port?: string; listen: string; renderer?: string; open: boolean }) => {
      const port = opts.port === undefined ? 0 : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port ${opts.port} is not a port.`);
      if (opts.listen !== '127.0.0.1' && opts.listen !== '::1')
        throw new UsageError('--listen takes 127.0.0.1 or ::1: browser mode never listens beyond this machine.');
      const rendererDir = resolve(opts.renderer ?? join(REPO_ROOT, 'out', 'renderer'));
      if (!existsSync(join(rendererDir, 'index.html')))
        throw new UsageError(`${rendererDir} holds no built renderer; run \`npm run build\` first (npm start does).`);

      const { dataDir } = program.opts<{ dataDir?: string }>();
      const { services, dispatch, logger } = await createNodeServices({
        host: 'browser',
        dataDir,
        events: ctx.events,
        logFile: 'browser.log',
        extraSinks: ctx.out.json ? [] : [stderrSink],
      });
      ctx.onExit(() => services.dispose());
      const host = await startWebHost({
        rendererDir,
        dispatch,
        events: ctx.events,
        logger,
        port,
        listen: opts.listen,
      });
      ctx.onExit(() => host.close());

      ctx.out.result({ url: host.openUrl, origin: host.origin } satisfies ServeWebReady, (ready) =>
        [
          `coSPEC Desktop is running in browser mode. Open this address (it signs your browser in; keep it private):`,
          `  ${ready.url}`,
          `Through an ssh port forward, forward the same port: ssh -L ${new URL(ready.origin).port}:${opts.listen === '::1' ? '[::1]' : '127.0.0.1'}:${new URL(ready.origin).port} HOST`,
          'Ctrl-C stops it.',
        ].join('\n'),
      );
      if (opts.open) await openInBrowser(host.openUrl);
      // Until Ctrl-C (handled by the CLI: services and server are disposed) or SIGTERM.
      await new Promise<void>((done) => process.once('SIGTERM', () => done()));
    });
}
