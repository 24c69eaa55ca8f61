import { copyFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { z } from 'zod';
import { CospecError } from '../../../src-shared/ipc/errors';
import { BranchPrefixSchema } from '../../../src-shared/model/push-scope';
import { CloneCacheMaxGbSchema } from '../../../src-shared/model/clone-cache';
import type { Logger } from '../../platform/logger';

/**
 * One small settings store over `conf`, the library electron-store is built on: the app and the
 * CLI read and write the same config.json in the data directory. Every read is validated; a file
 * or a section that fails validation is backed up and reported, never silently replaced.
 */
export interface SettingsStore {
  /** Reads a top-level section, validated; an invalid section is backed up, reported and read as its default. */
  read<S extends z.ZodType>(key: string, schema: S): z.infer<S>;
  write(key: string, value: unknown): void;
  /** Reports part of a section as unreadable (backs the file up once, surfaces SETTINGS_CORRUPT). */
  reportCorrupt(why: string): void;
  /** The first corruption found since start-up, as an error to show the user once; cleared by reading it. */
  takeProblem(): CospecError | undefined;
  readonly path: string;
}

export interface SettingsOptions {
  dataDir: string;
  logger: Logger;
  now?: () => Date;
}

const FILE = 'config.json';

export function createSettingsStore(options: SettingsOptions): SettingsStore {
  const path = join(options.dataDir, FILE);
  const now = options.now ?? (() => new Date());
  let problem: CospecError | undefined;
  let backedUp = false;

  const backup = (how: 'move' | 'copy', why: string): string => {
    const target = `${path}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`;
    if (how === 'move') renameSync(path, target);
    else copyFileSync(path, target);
    options.logger.warn('settings file was invalid and has been backed up', { path, backup: target, why });
    problem ??= new CospecError(
      'SETTINGS_CORRUPT',
      `coSPEC's settings file was damaged, so some settings (possibly connected accounts) could not be read. A copy was kept at ${target}; reconnect what is missing.`,
      why,
    );
    backedUp = true;
    return target;
  };

  // conf would throw on unreadable JSON (clearInvalidConfig is off): move such a file aside first.
  if (existsSync(path)) {
    try {
      const data: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (!data || typeof data !== 'object' || Array.isArray(data))
        throw new Error('the file does not hold a JSON object');
    } catch (error) {
      backup('move', String(error));
    }
  }

  const conf = new Conf<Record<string, unknown>>({
    cwd: options.dataDir,
    configName: 'config',
    projectName: 'cospec-desktop',
    configFileMode: 0o600,
    accessPropertiesByDotNotation: false,
    clearInvalidConfig: false,
  });

  return {
    path,
    read(key, schema) {
      const raw = conf.get(key);
      const parsed = schema.safeParse(raw);
      if (parsed.success) return parsed.data;
      if (!backedUp) backup('copy', `section "${key}": ${parsed.error.message}`);
      const fallback = schema.safeParse(undefined);
      if (fallback.success) return fallback.data;
      throw problem ?? new CospecError('SETTINGS_CORRUPT', `The "${key}" settings could not be read.`);
    },
    write(key, value) {
      conf.set(key, value);
    },
    reportCorrupt(why) {
      if (!backedUp) backup('copy', why);
    },
    takeProblem() {
      const p = problem;
      problem = undefined;
      return p;
    },
  };
}

/** Settings the accounts and auth services read (other services keep their own sections). */
export const SecuritySettingsSchema = z
  .object({
    /** The user agreed to keep tokens where the OS offers only obfuscation (Linux basic_text). */
    allowPlaintextSecrets: z.boolean().default(false),
  })
  .default({ allowPlaintextSecrets: false });

export const OAuthSettingsSchema = z
  .object({
    /** The OAuth application id registered on gitlab.com for coSPEC Desktop. */
    gitlabComClientId: z.string().min(1).optional(),
    /** OAuth applications an admin registered on self-hosted instances. */
    applications: z.array(z.object({ instanceUrl: z.string().url(), clientId: z.string().min(1) })).default([]),
  })
  .default({ applications: [] });

export const RunSettingsSchema = z
  .object({
    /** Extra egress destinations for every run (host, *.domain or host:port), applied under the policy. */
    egressAllow: z.array(z.string().min(1).max(253)).max(200).default([]),
    /** How long an agent may run before it is stopped. */
    timeoutMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60),
    memoryMb: z.number().int().min(256).max(262_144).optional(),
    cpus: z.number().min(0.5).max(256).optional(),
    /** The container engine: a socket path or a DOCKER_HOST-style URL; absent = find it. */
    containerSocket: z.string().min(1).max(1024).optional(),
    /** Branches agents may push start with this (the default when absent), applied under the policy. */
    branchPrefix: BranchPrefixSchema.optional(),
    /** Add ci.skip to every agent push (applied under the policy). */
    ciSkip: z.boolean().optional(),
    /** The clone cache's bound in GiB (DEFAULT_CLONE_CACHE_GB when absent). */
    cloneCacheMaxGb: CloneCacheMaxGbSchema.optional(),
  })
  .default({ egressAllow: [], timeoutMinutes: 60 });

export const UpdateSettingsSchema = z
  .object({ checkAutomatically: z.boolean().default(true) })
  .default({ checkAutomatically: true });
