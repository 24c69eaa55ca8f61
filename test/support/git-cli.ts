import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * git on this machine, for tests that build repositories with git itself (and check our pack and
 * checkout code against it): a fixed identity, no system configuration and the C locale, so the
 * repositories come out the same on every machine.
 */

const run = promisify(execFile);

export const gitEnv: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'T',
  GIT_AUTHOR_EMAIL: 't@test.invalid',
  GIT_COMMITTER_NAME: 'T',
  GIT_COMMITTER_EMAIL: 't@test.invalid',
  LC_ALL: 'C',
};

/** Runs git in `cwd` with `input` on its stdin; what it printed, as bytes (objects, packs). Rejects when git fails. */
export async function gitBytes(args: string[], cwd?: string, input?: string): Promise<Buffer> {
  const child = run('git', args, { cwd, env: gitEnv, maxBuffer: 64 * 1024 * 1024, encoding: 'buffer' });
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

/** The same as text, decoded as latin1 so that any byte in a path survives a round trip. */
export async function gitText(args: string[], cwd?: string, input?: string): Promise<string> {
  return (await gitBytes(args, cwd, input)).toString('latin1');
}

/** A fresh temp folder `root` with a new repository on branch main in `root/work`. */
export async function scratchRepo(prefix: string): Promise<{ root: string; work: string }> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const work = join(root, 'work');
  await gitBytes(['init', '-q', '-b', 'main', work], root);
  return { root, work };
}

/** Stages everything in the work tree and commits it. */
export async function commitAll(work: string, message: string): Promise<void> {
  await gitBytes(['add', '-A'], work);
  await gitBytes(['commit', '-q', '-m', message], work);
}
