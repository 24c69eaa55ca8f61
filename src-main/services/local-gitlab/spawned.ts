import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { LocalGitLab, LocalGitLabStarter } from './index';

const StandInLineSchema = z.object({
  url: z.string().url(),
  caPem: z.string().optional(),
  users: z.array(z.object({ username: z.string(), token: z.string(), role: z.string() })),
});

const STARTUP_TIMEOUT_MS = 60_000;

/**
 * The stand-in GitLab as a child process (`tools/gitlab-standin/cli.ts --json`), for source checkouts
 * where it exists. Running it apart keeps the test server out of the app's bundle and lets it die
 * with a kill. Returns undefined where the checkout does not ship it (installed builds).
 */
export function spawnedStandInStarter(repoRoot: string, node = 'node'): LocalGitLabStarter | undefined {
  const cli = join(repoRoot, 'tools', 'gitlab-standin', 'cli.ts');
  const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  if (!existsSync(cli) || !existsSync(tsx)) return undefined;

  return ({ dataDir }) =>
    new Promise<LocalGitLab>((resolve, reject) => {
      const child = spawn(node, [tsx, cli, '--json', '--data-dir', dataDir], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      const fail = (why: string) => {
        child.kill('SIGKILL');
        reject(new CospecError('INTERNAL', `The local GitLab did not start: ${why}`, stderr.trim() || undefined));
      };
      const timer = setTimeout(() => fail('it took longer than a minute'), STARTUP_TIMEOUT_MS);
      child.on('error', (error) => {
        clearTimeout(timer);
        fail(error.message);
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        fail(`it exited with code ${code}`);
      });
      createInterface({ input: child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        const parsed = StandInLineSchema.safeParse(safeJson(line));
        const bot = parsed.success ? parsed.data.users.find((u) => u.username === 'cospec-bot') : undefined;
        if (!parsed.success || !bot) return fail('it printed something unexpected');
        resolve({
          url: parsed.data.url,
          botToken: bot.token,
          ...(parsed.data.caPem ? { caPem: parsed.data.caPem } : {}),
          sampleProject: 'acme/web-app',
          close: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      });
    });
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
