import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../../platform/logger';
import type { CloneEngineName } from './types';

/**
 * Most of a repeat run's wait for its workspace is the checkout: writing thousands of files. The
 * clone cache (clone-cache.ts) therefore keeps, beside each mirror, one work tree checked out from
 * the mirror after a run has ended, when nobody waits for it, and the next run takes it: that run's
 * `.git` is made from the mirror as before, only without a checkout, and the prepared files and
 * index are moved in by rename. When GitLab has moved on since (colleagues pushed), the clone
 * cache then brings them to the run's commit, writing only what changed (MirrorOps.advance).
 *
 * The rules of the cache hold for it: it is made from the mirror alone (a workspace never feeds
 * back), no container ever sees it before a run takes it, and taking it moves it out of the cache
 * (a rename, so nothing is shared with what stays behind). One that is not exactly as it was made
 * (a file changed, added or removed since: its lstat fingerprint differs) is removed, never used.
 *
 * Layout, beside `<id>.git`: `<id>.git.checkout/ready/{tree/, index, meta.json}`; new ones are
 * built in `new-*` and renamed to `ready` when complete, so a crash leaves nothing half-usable.
 */
export interface PreparedCheckout {
  readonly commit: string;
  /**
   * Moves the prepared files and index into `dir`, a repository just made from the mirror without
   * a checkout (nothing in it but `.git`), which is replaced by the prepared folder. Fails, and
   * removes the prepared checkout, when its files are not as they were made.
   */
  placeInto(dir: string): Promise<void>;
  /** Removes it unused, in the background (idle() waits for that). */
  discard(): Promise<void>;
}

export interface PreparedCheckouts {
  /**
   * The prepared work tree made by `engine` beside this mirror, taken out of the cache, at the
   * commit it was made for (the caller brings it to the one it needs).
   */
  take(gitDir: string, engine: CloneEngineName): Promise<PreparedCheckout | undefined>;
  /**
   * Prepares the next one: `make` writes a full copy of the mirror (checkout included) to the folder
   * it is given and returns the commit it checked out.
   */
  prepare(gitDir: string, engine: CloneEngineName, make: (dir: string) => Promise<string>): Promise<void>;
  /** Removes what is prepared beside this mirror (the mirror is discarded, evicted or cleared). */
  drop(gitDir: string): Promise<void>;
  /** What is prepared beside this mirror, without taking it (it may still turn out unusable). */
  peek(gitDir: string): Promise<{ engine: CloneEngineName; commit: string } | undefined>;
  /** Bytes on disk of what is prepared beside this mirror. */
  bytes(gitDir: string): Promise<number>;
  /** Resolves when no build, take or removal is under way (tests, the bench). */
  idle(): Promise<void>;
}

const MetaSchema = z.object({
  version: z.literal(1),
  engine: z.enum(['git', 'isomorphic-git']),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  bytes: z.number().int().nonnegative(),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});
type Meta = z.infer<typeof MetaSchema>;

const CHANGED = 'its files changed since it was made';

/** Leftovers of a crashed build or take older than this are swept. */
const SWEEP_AFTER_MS = 10 * 60_000;

export function createPreparedCheckouts(deps: { logger: Logger }): PreparedCheckouts {
  const log = deps.logger.child({ service: 'prepared-checkout' });
  const slotOf = (gitDir: string) => `${gitDir}.checkout`;
  // One build or take per slot at a time in this process; across processes the renames are atomic.
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(slot: string, work: () => Promise<T>): Promise<T> => {
    const next = (queues.get(slot) ?? Promise.resolve()).catch(() => undefined).then(work);
    queues.set(slot, next);
    void next.finally(() => queues.get(slot) === next && queues.delete(slot)).catch(() => undefined);
    return next;
  };
  const remove = (path: string) => rm(path, { recursive: true, force: true, maxRetries: 3 });

  async function readMeta(dir: string): Promise<Meta | undefined> {
    const text = await readFile(join(dir, 'meta.json'), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      return MetaSchema.parse(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  async function sweep(slot: string): Promise<void> {
    for (const name of await readdir(slot).catch(() => [] as string[])) {
      if (!/^(new|taken|old)-/.test(name)) continue;
      const info = await lstat(join(slot, name)).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > SWEEP_AFTER_MS) await remove(join(slot, name));
    }
  }

  return {
    take: (gitDir, engine) =>
      serial(slotOf(gitDir), async () => {
        const slot = slotOf(gitDir);
        const taken = join(slot, `taken-${randomBytes(4).toString('hex')}`);
        const moved = await rename(join(slot, 'ready'), taken).then(
          () => true,
          () => false,
        );
        if (!moved) return undefined;
        // Thousands of files: removed after the take, not while the run waits for its copy.
        const removeLater = () =>
          serial(slot, () => remove(taken)).catch((error: unknown) =>
            log.warn('could not remove a prepared checkout', { gitDir, error }),
          );
        const refuse = (why: string) => {
          // Damage says so louder than another clone path, which is the user's choice.
          log[why.startsWith('its') ? 'warn' : 'debug']('prepared checkout not used; removing it', { gitDir, why });
          void removeLater();
        };
        const meta = await readMeta(taken);
        const why = !meta
          ? 'its description is missing or damaged'
          : meta.engine !== engine
            ? `it was made by ${meta.engine}`
            : undefined;
        if (why || !meta) {
          refuse(why ?? 'no description');
          return undefined;
        }
        // Its files are checked while the caller makes the repository (git's process or the
        // worker thread), and it is placed only once they are found as they were made.
        const unchanged = fingerprint(join(taken, 'tree'), join(taken, 'index')).then(
          (found) => found.digest === meta.fingerprint,
          () => false,
        );
        return {
          commit: meta.commit,
          async placeInto(dir) {
            if (!(await unchanged)) {
              refuse(CHANGED);
              throw new Error(`The prepared checkout was not used: ${CHANGED}.`);
            }
            const tree = join(taken, 'tree');
            await rename(join(dir, '.git'), join(tree, '.git'));
            await rename(join(taken, 'index'), join(tree, '.git', 'index'));
            // Empty now; a leftover file would make rmdir fail rather than be lost silently.
            await rmdir(dir);
            await rename(tree, dir);
            await remove(taken);
          },
          async discard() {
            void unchanged.then(removeLater);
          },
        };
      }),

    prepare: (gitDir, engine, make) =>
      serial(slotOf(gitDir), async () => {
        const slot = slotOf(gitDir);
        await mkdir(slot, { recursive: true, mode: 0o700 });
        await sweep(slot);
        const build = join(slot, `new-${randomBytes(4).toString('hex')}`);
        await mkdir(build);
        const started = Date.now();
        try {
          const tree = join(build, 'tree');
          const commit = await make(tree);
          await rename(join(tree, '.git', 'index'), join(build, 'index'));
          await remove(join(tree, '.git'));
          const { digest, bytes } = await fingerprint(tree, join(build, 'index'));
          const meta: Meta = { version: 1, engine, commit, bytes, fingerprint: digest };
          await writeFile(join(build, 'meta.json'), JSON.stringify(meta));
          const old = join(slot, `old-${randomBytes(4).toString('hex')}`);
          await rename(join(slot, 'ready'), old).catch(() => undefined);
          await rename(build, join(slot, 'ready'));
          await remove(old);
          log.debug('checkout prepared for the next run', {
            gitDir,
            engine,
            commit,
            bytes: meta.bytes,
            ms: Date.now() - started,
          });
        } catch (error) {
          await remove(build);
          throw error;
        }
      }),

    drop: (gitDir) => serial(slotOf(gitDir), () => remove(slotOf(gitDir))),

    async peek(gitDir) {
      const meta = await readMeta(join(slotOf(gitDir), 'ready'));
      return meta && { engine: meta.engine, commit: meta.commit };
    },

    async bytes(gitDir) {
      return (await readMeta(join(slotOf(gitDir), 'ready')))?.bytes ?? 0;
    },

    async idle() {
      while (queues.size) await Promise.allSettled([...queues.values()]);
    },
  };
}

/**
 * Every entry under a folder, and the index beside it, with its type, mode, size, change time and
 * inode: any write, rename, removal or addition since changes the digest (ctime moves on every
 * change to an inode, even one that restores the mtime). Links are not followed. The index counts
 * because it is trusted to describe the files (git and checkout-advance.ts update from it).
 * Synchronous calls in slices: a run waits for this, and one lstat through the thread pool costs
 * several times the call itself (5,000 files: 140-450 ms against 45 ms here), while the slices
 * keep the main process answering in between.
 */
async function fingerprint(dir: string, index: string): Promise<{ digest: string; bytes: number }> {
  const indexInfo = lstatSync(index, { bigint: true });
  const lines = [`\0index\0${indexInfo.mode}\0${indexInfo.size}\0${indexInfo.ctimeNs}\0${indexInfo.ino}`];
  let bytes = Number(indexInfo.size);
  let sinceYield = 0;
  const folders: Array<[string, string]> = [[dir, '']];
  for (let next = folders.pop(); next; next = folders.pop()) {
    const [path, rel] = next;
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      const info = lstatSync(full, { bigint: true });
      lines.push(`${name}\0${info.mode}\0${info.size}\0${info.ctimeNs}\0${info.ino}`);
      if (info.isDirectory()) folders.push([full, name]);
      else bytes += Number(info.size);
      if (++sinceYield >= 500) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  lines.sort();
  return { digest: createHash('sha256').update(lines.join('\n')).digest('hex'), bytes };
}
