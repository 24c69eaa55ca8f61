/**
 * Worker-thread entry of the isomorphic-git clone path: pack indexing and checkout run here, so a
 * clone never stalls the Electron main thread (the bench measured multi-second stalls in-thread).
 * The clone cache's fetch into a mirror and copy out of it run here too (isomorphic-mirror.ts).
 * HTTP requests and credentials are asked of the owning thread (see worker-protocol.ts).
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import { CospecError, toErrorEnvelope } from '../../../src-shared/ipc/errors';
import { mapIsomorphicError } from './errors';
import { isomorphicClone } from './isomorphic-clone';
import { useNativeZlibForIsomorphicGit } from './native-zlib';
import { copyMirror, fetchMirror } from './isomorphic-mirror-steps';
import { STANDBY, type CloneOutcome, type ToOwner, type ToWorker, type WorkerJob } from './worker-protocol';
import type { GitCredentials } from './types';

if (!parentPort) throw new Error('isomorphic-worker must run as a worker thread');
const port = parentPort;
/** The job, given at the start or, for a worker started ahead of time (STANDBY), in a 'job' message. */
const given = workerData as WorkerJob | typeof STANDBY;
const post = (message: ToOwner, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const controller = new AbortController();
let nextId = 1;
const credentialWaiters = new Map<number, { resolve: (c: GitCredentials) => void; reject: (e: unknown) => void }>();

/** A response body fed by chunk messages, read by isomorphic-git as an async iterator. */
class BodyQueue implements AsyncIterableIterator<Uint8Array> {
  constructor(private readonly onRead: (bytes: number, drained: boolean) => void) {}
  private chunks: Uint8Array[] = [];
  private ended = false;
  private error: unknown;
  private wake: (() => void) | undefined;
  push(chunk: Uint8Array) {
    this.chunks.push(chunk);
    this.wake?.();
  }
  end(error?: unknown) {
    this.ended = true;
    this.error = error;
    this.wake?.();
  }
  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk) {
        this.onRead(chunk.byteLength, this.chunks.length === 0);
        return { value: chunk, done: false };
      }
      if (this.error) throw this.error;
      if (this.ended) return { value: undefined, done: true };
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

const requests = new Map<
  number,
  { head: (r: GitHttpResponse) => void; fail: (e: unknown) => void; body: BodyQueue; url: string; method: string }
>();

const http: HttpClient = {
  async request(req: GitHttpRequest): Promise<GitHttpResponse> {
    const id = nextId++;
    let body: Uint8Array | undefined;
    if (req.body) {
      const parts: Uint8Array[] = [];
      for await (const part of req.body) parts.push(part);
      body = Buffer.concat(parts);
    }
    const method = (req.method ?? 'GET').toUpperCase();
    return new Promise<GitHttpResponse>((head, fail) => {
      // Acknowledged in steps of at least 256 KB (or when the queue runs dry): fewer messages.
      let unacked = 0;
      const queue = new BodyQueue((bytes, drained) => {
        unacked += bytes;
        if (unacked < 256 * 1024 && !drained) return;
        post({ type: 'http-read', id, bytes: unacked });
        unacked = 0;
      });
      requests.set(id, { head, fail, body: queue, url: req.url, method });
      post({ type: 'http', id, url: req.url, method, headers: req.headers ?? {}, body });
    });
  },
};

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'job':
      if (given === STANDBY && !started) start(message.job);
      return;
    case 'abort':
      controller.abort();
      for (const r of requests.values()) r.body.end(new CospecError('CANCELLED', 'The clone was cancelled.'));
      return;
    case 'credentials': {
      const waiter = credentialWaiters.get(message.id);
      credentialWaiters.delete(message.id);
      if (message.value) waiter?.resolve(message.value);
      else
        waiter?.reject(CospecError.fromEnvelope(message.error ?? { code: 'UNAUTHORIZED', message: 'No credentials.' }));
      return;
    }
    case 'http-head': {
      const r = requests.get(message.id);
      r?.head({
        url: r.url,
        method: r.method,
        statusCode: message.statusCode,
        statusMessage: '',
        headers: message.headers,
        body: r.body,
      });
      return;
    }
    case 'http-chunk':
      requests.get(message.id)?.body.push(message.chunk);
      return;
    case 'http-end':
      requests.get(message.id)?.body.end();
      requests.delete(message.id);
      return;
    case 'http-error': {
      const r = requests.get(message.id);
      const error = CospecError.fromEnvelope(message.error);
      r?.fail(error);
      r?.body.end(error);
      requests.delete(message.id);
      return;
    }
  }
});

const credentials = () =>
  new Promise<GitCredentials>((resolve, reject) => {
    const id = nextId++;
    credentialWaiters.set(id, { resolve, reject });
    post({ type: 'credentials', id });
  });

/**
 * Lowers this thread's scheduling priority, so that when the CPU is busy the owning thread (the
 * Electron main thread, which must keep painting the window) runs first and the clone takes the
 * rest. Linux applies setpriority to a thread id (found via /proc/thread-self); elsewhere this is
 * a no-op and the clone runs at normal priority.
 */
function yieldCpuToOwner(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) setPriority(tid, 10);
  } catch {
    // Not Linux, or not allowed: normal priority.
  }
}

/** The job's work: a clone, or the clone cache's fetch into a mirror or copy out of one. */
function work(job: WorkerJob): Promise<{ result?: CloneOutcome; timings?: Record<string, number> }> {
  const signal = controller.signal;
  switch (job.kind) {
    case 'clone':
      return isomorphicClone({
        url: job.url,
        dir: job.dir,
        branch: job.branch,
        depth: job.depth,
        http,
        credentials,
        onProgress: (detail, percent) => post({ type: 'progress', detail, percent }),
        signal,
      }).then((result) => ({ result }));
    case 'mirror-fetch':
      return fetchMirror({
        gitDir: job.gitDir,
        url: job.url,
        defaultBranch: job.defaultBranch,
        http,
        credentials,
        signal,
      }).then(() => ({}));
    case 'mirror-copy':
      return copyMirror(job.gitDir, job.dir, job.url, job.branch, signal).then((timings) => ({ timings }));
  }
}

let started = false;
function start(job: WorkerJob): void {
  started = true;
  // A workspace copy from the clone cache is the whole of a repeat run's wait and reads only local
  // files: at the lowered priority it took 1.1-1.6x as long as on the calling thread on a busy machine
  // (measured on the bench repository). It keeps normal priority; the main thread still never blocks.
  // A checkout prepared for a later run (prepared-checkout.ts) is waited for by nobody: it yields.
  if (job.kind !== 'mirror-copy' || job.background) yieldCpuToOwner();
  if (job.nativeZlib) useNativeZlibForIsomorphicGit();
  work(job).then(
    ({ result, timings }) => {
      post({ type: 'done', ...(result ? { result } : {}), ...(timings ? { timings } : {}) });
      port.close();
    },
    (error: unknown) => {
      const ctx = { url: job.url, ...(job.kind === 'mirror-fetch' ? {} : { branch: job.branch }) };
      post({ type: 'error', error: toErrorEnvelope(mapIsomorphicError(error, ctx, controller.signal)) });
      port.close();
    },
  );
}

if (given !== STANDBY) start(given);
