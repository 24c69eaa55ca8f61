import type { ErrorEnvelope } from '../../../src-shared/ipc/errors';
import type { GitCredentials } from './types';

/**
 * Messages between the isomorphic-git worker thread and the thread that owns the account's
 * network. HTTP stays on the owner's side (the undici dispatcher with the account's proxy and CA
 * cannot cross threads); the worker does the CPU-heavy part: pack indexing and checkout.
 */
export type WorkerJob = CloneJob | MirrorFetchJob | MirrorCopyJob;

/**
 * The workerData of a worker started before its job is known (isomorphic-engine.ts, standbyWorker):
 * it loads its script, then waits for a 'job' message.
 */
export const STANDBY = 'standby';

/** A clone from GitLab into `dir` (isomorphic-clone.ts). */
export interface CloneJob {
  kind: 'clone';
  url: string;
  dir: string;
  branch?: string;
  depth?: number;
  nativeZlib: boolean;
}

/** The clone cache's fetch from GitLab into a mirror (isomorphic-mirror.ts). */
export interface MirrorFetchJob {
  kind: 'mirror-fetch';
  gitDir: string;
  url: string;
  defaultBranch: string;
  nativeZlib: boolean;
}

/** A run's workspace made from a mirror (isomorphic-mirror.ts); no network. */
export interface MirrorCopyJob {
  kind: 'mirror-copy';
  gitDir: string;
  dir: string;
  url: string;
  branch: string;
  /** A checkout prepared for a later run: nobody waits for it, so it yields the CPU. */
  background: boolean;
  nativeZlib: boolean;
}

/** What a clone job reports; the mirror jobs report nothing. */
export interface CloneOutcome {
  branch: string;
  head: string;
  warnings: string[];
}

export type ToOwner =
  | { type: 'progress'; detail: string; percent?: number }
  | { type: 'credentials'; id: number }
  | { type: 'http'; id: number; url: string; method: string; headers: Record<string, string>; body?: Uint8Array }
  /** The worker consumed this many body bytes: the owner may send more (flow control). */
  | { type: 'http-read'; id: number; bytes: number }
  /** `timings`: where a mirror copy's time went, in ms (isomorphic-mirror-steps.ts), for the log. */
  | { type: 'done'; result?: CloneOutcome; timings?: Record<string, number> }
  | { type: 'error'; error: ErrorEnvelope };

export type ToWorker =
  | { type: 'job'; job: WorkerJob }
  | { type: 'abort' }
  | { type: 'credentials'; id: number; value?: GitCredentials; error?: ErrorEnvelope }
  | { type: 'http-head'; id: number; statusCode: number; headers: Record<string, string> }
  | { type: 'http-chunk'; id: number; chunk: Uint8Array }
  | { type: 'http-end'; id: number }
  | { type: 'http-error'; id: number; error: ErrorEnvelope };
