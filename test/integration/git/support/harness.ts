import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGitService, type CloneEngineName, type GitService } from '../../../../src-main/services/git';
import { createLogger, memorySink } from '../../../../src-main/platform/logger';

export const ENGINES: CloneEngineName[] = ['git', 'isomorphic-git'];

/** A git service whose log lines a test can read back (retries kept fast). */
export function serviceWithLog(opts: { gitPath?: string } = {}): { service: GitService; logLines: string[] } {
  const sink = memorySink();
  const service = createGitService({
    logger: createLogger({ level: 'debug', sinks: [sink] }),
    gitPath: opts.gitPath,
    retry: { attempts: 3, baseDelayMs: 50 },
  });
  return { service, logLines: sink.lines };
}

export const credentialsOf =
  (token: string, username = 'oauth2') =>
  async () => ({ username, password: token });

/** Every file under dir (including .git) whose bytes contain needle. */
export async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && (await readFile(p)).includes(needle)) hits.push(p);
    }
  };
  await walk(dir);
  return hits;
}

export const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

/** Staging folders a clone of dir might have left behind next to it. */
export async function leftovers(dir: string): Promise<string[]> {
  const entries = await readdir(dirname(dir)).catch(() => [] as string[]);
  return entries.filter((e) => e.startsWith(`.${basename(dir)}.cospec-clone-`));
}

/** Progress events, checked for moving only forward. */
export function progressRecorder(): {
  events: Array<{ detail: string; percent?: number }>;
  onProgress: (detail: string, percent?: number) => void;
} {
  const events: Array<{ detail: string; percent?: number }> = [];
  return { events, onProgress: (detail, percent) => events.push({ detail, percent }) };
}
