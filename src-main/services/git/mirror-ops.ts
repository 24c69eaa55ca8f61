import type { Dispatcher } from 'undici';
import type { CloneIntoOptions, Mirror, MirrorAccess } from './mirror';
import type { CloneEngineName } from './types';

/**
 * The steps of the clone cache that depend on the clone path: the user's git (clone-cache.ts,
 * through mirror.ts) or isomorphic-git (isomorphic-mirror.ts). Everything else, the lock, the
 * damage checks, what counts as GitLab's fault, the size bound and eviction, Clear, the fallback
 * to a direct clone, is clone-cache.ts's alone and the same for both. Each step runs under the
 * mirror's lock (Mirror.exclusive) held by the caller, except compact, which takes it itself.
 */
export interface MirrorOps {
  readonly engine: CloneEngineName;
  /** Whether this path can run here (the user's git needs git installed; isomorphic-git always can). */
  available(): Promise<boolean>;
  /** GitLab's branches and tags exactly (forced: force-pushes; pruned: deletions); HEAD at the default branch. */
  update(mirror: Mirror, req: MirrorUpdate): Promise<void>;
  /** The commit a branch (or else a tag) of the mirror names; undefined when the mirror has neither. */
  commitOf(mirror: Mirror, branch: string): Promise<string | undefined>;
  /** The `.gitattributes` at a commit as stored (no filter ran), '' when there is none. */
  attributes(mirror: Mirror, commit: string): Promise<string>;
  /** Makes the repository at `dir` (which does not exist) from the mirror, as a clone from GitLab would. */
  copy(mirror: Mirror, dir: string, options: CloneIntoOptions): Promise<void>;
  /**
   * Brings the files and index of a checkout of `from` made from this mirror, just moved into a
   * repository `copy` made at `dir` without a checkout (prepared-checkout.ts), to `to`, writing
   * only what differs. Throws when it cannot; the caller then copies with a full checkout.
   */
  advance(mirror: Mirror, dir: string, from: string, to: string, signal?: AbortSignal): Promise<void>;
  /** Once fetches have piled up more than `maxPacks` packs, makes the mirror compact again. */
  compact(mirror: Mirror, maxPacks: number, req: MirrorUpdate): Promise<void>;
  /** GitLab could not be reached or refused us: not the mirror's fault, so it is kept. */
  isNetworkFailure(error: unknown): boolean;
}

/** Where and as whom a mirror is brought up to date. */
export interface MirrorUpdate {
  fetchUrl: string;
  defaultBranch: string;
  access: () => Promise<MirrorAccess>;
  /** The account's undici dispatcher (proxy, CA), for the isomorphic-git path. */
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  /** A run's full copy (with checkout) follows at once (isomorphic-mirror.ts starts its worker during the fetch). */
  copyNext?: boolean;
}
