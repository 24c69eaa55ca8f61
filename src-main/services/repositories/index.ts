import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ServiceHandlers } from '../../../src-shared/ipc/define';
import { toErrorEnvelope } from '../../../src-shared/ipc/errors';
import type { repositoriesContract } from '../../../src-shared/ipc/services/repositories';
import { ProjectSchema, type Project, type ProjectList } from '../../../src-shared/model/project';
import type { Logger } from '../../platform/logger';
import type { RateLimitWait } from '../gitlab';
import { fetchAllProjects, isDefaultBranchProtected, type GitLabGet } from './gitlab-projects';

export interface RepositoriesDeps {
  cacheDir: string;
  get: GitLabGet;
  logger: Logger;
  onChange(list: ProjectList): void;
  /** A cached list older than this is refreshed in the background when read. */
  maxAgeMs?: number;
  /** How many of the most recently active projects get their branch protection checked eagerly. */
  protectionCheckLimit?: number;
  now?: () => Date;
}

const CacheSchema = z.object({ fetchedAt: z.string(), projects: z.array(ProjectSchema) });

export interface RepositoriesService {
  handlers: ServiceHandlers<typeof repositoriesContract>;
  /** Looks up one project of an account by path, from the cache or GitLab. */
  find(accountId: string, pathWithNamespace: string): Promise<Project | undefined>;
  /** Drops an account's cache (on disconnect). */
  forget(accountId: string): Promise<void>;
}

/**
 * Per-account project lists, cached on disk so the Repositories view opens instantly, refreshed in
 * the background (all pages), searched locally so typing never waits for the network.
 */
export function createRepositoriesService(deps: RepositoriesDeps): RepositoriesService {
  const now = deps.now ?? (() => new Date());
  const maxAge = deps.maxAgeMs ?? 5 * 60_000;
  const memory = new Map<string, { fetchedAt: string; projects: Project[] }>();
  const inflight = new Map<string, Promise<void>>();
  const errors = new Map<string, { code: string; message: string }>();
  const rateLimited = new Map<string, string>();

  const cacheFile = (accountId: string) => join(deps.cacheDir, 'projects', `${encodeURIComponent(accountId)}.json`);

  async function readCache(accountId: string) {
    const hit = memory.get(accountId);
    if (hit) return hit;
    try {
      const parsed = CacheSchema.parse(JSON.parse(await readFile(cacheFile(accountId), 'utf8')));
      memory.set(accountId, parsed);
      return parsed;
    } catch {
      return undefined;
    }
  }

  async function writeCache(accountId: string, value: { fetchedAt: string; projects: Project[] }) {
    memory.set(accountId, value);
    const file = cacheFile(accountId);
    await mkdir(join(deps.cacheDir, 'projects'), { recursive: true, mode: 0o700 });
    await writeFile(`${file}.tmp`, JSON.stringify(value), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  function snapshot(accountId: string, search?: string): ProjectList {
    const cached = memory.get(accountId);
    const needle = search?.trim().toLowerCase();
    const projects = (cached?.projects ?? []).filter(
      (p) => !needle || p.pathWithNamespace.toLowerCase().includes(needle) || p.name.toLowerCase().includes(needle),
    );
    const error = errors.get(accountId);
    const until = rateLimited.get(accountId);
    return {
      accountId,
      projects,
      fetchedAt: cached?.fetchedAt ?? null,
      refreshing: inflight.has(accountId),
      ...(error ? { error } : {}),
      ...(until ? { rateLimitedUntil: until } : {}),
    };
  }

  function refresh(accountId: string): Promise<void> {
    const running = inflight.get(accountId);
    if (running) return running;
    // The screen says why nothing moves while GitLab's rate limit is waited out (gitlab/client.ts).
    const onRateLimit = (wait: RateLimitWait) => {
      rateLimited.set(accountId, wait.until);
      deps.onChange(snapshot(accountId));
    };
    const job = (async () => {
      try {
        const previous = new Map((await readCache(accountId))?.projects.map((p) => [p.id, p]) ?? []);
        const projects = await fetchAllProjects(deps.get, accountId, undefined, onRateLimit);
        for (const p of projects) p.defaultBranchProtected = previous.get(p.id)?.defaultBranchProtected ?? null;
        await checkProtection(accountId, projects.slice(0, deps.protectionCheckLimit ?? 50), onRateLimit);
        errors.delete(accountId);
        await writeCache(accountId, { fetchedAt: now().toISOString(), projects });
      } catch (error) {
        const envelope = toErrorEnvelope(error);
        errors.set(accountId, { code: envelope.code, message: envelope.message });
        deps.logger.warn('project refresh failed', { accountId, code: envelope.code });
      } finally {
        inflight.delete(accountId);
        rateLimited.delete(accountId);
        deps.onChange(snapshot(accountId));
      }
    })();
    inflight.set(accountId, job);
    return job;
  }

  async function checkProtection(accountId: string, projects: Project[], onRateLimit: (wait: RateLimitWait) => void) {
    // Four at a time: enough to be quick, few enough not to trip the instance's rate limits.
    const queue = [...projects];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let p = queue.shift(); p; p = queue.shift()) {
          p.defaultBranchProtected = await isDefaultBranchProtected(
            deps.get,
            accountId,
            p,
            undefined,
            onRateLimit,
          ).catch(() => p!.defaultBranchProtected);
        }
      }),
    );
  }

  return {
    handlers: {
      async list({ accountId, search }) {
        const cached = await readCache(accountId);
        if (!cached) await refresh(accountId);
        else if (now().getTime() - Date.parse(cached.fetchedAt) > maxAge) void refresh(accountId);
        return snapshot(accountId, search);
      },
      async refresh(accountId) {
        await refresh(accountId);
        return snapshot(accountId);
      },
    },
    async find(accountId, path) {
      const lower = path.toLowerCase();
      const match = () => memory.get(accountId)?.projects.find((p) => p.pathWithNamespace.toLowerCase() === lower);
      if (!(await readCache(accountId)) || !match()) await refresh(accountId);
      return match();
    },
    async forget(accountId) {
      memory.delete(accountId);
      errors.delete(accountId);
      await rm(cacheFile(accountId), { force: true });
    },
  };
}
