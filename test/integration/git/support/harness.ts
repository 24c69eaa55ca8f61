import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGitService, type CloneEngineName, type GitService } from '../../../../src-main/services/git';
import type { CachedCloneRequest } from '../../../../src-main/services/git/clone-cache';
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

/**
 * A clone-cache request for `project` on the GitLab stand-in, fetched as its cospec-bot (main, as
 * GitLab's default branch); `fields` name the cache key and the workspace, and may set the rest.
 */
export function standInCacheRequest(
  gitlab: { url: string; user(username: string): { token: string } },
  project: string,
  fields: Pick<CachedCloneRequest, 'key' | 'dir'> & Partial<CachedCloneRequest>,
): CachedCloneRequest {
  const { token } = gitlab.user('cospec-bot');
  return {
    fetchUrl: `${gitlab.url}/${project}.git`,
    url: `${gitlab.url}/${project}.git`,
    branch: 'main',
    defaultBranch: 'main',
    access: async () => ({ username: 'cospec-bot', password: token }),
    ...fields,
  };
}
