import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CospecError, toErrorEnvelope } from '../../../src-shared/ipc/errors';
import type { Logger } from '../../platform/logger';
import { cancelledError, mapIsomorphicError } from './errors';
import { isomorphicClone } from './isomorphic-clone';
import { useNativeZlibForIsomorphicGit } from './native-zlib';
import { undiciHttpClient } from './undici-http';
import type { CloneEngine, EngineRequest, GitCredentials } from './types';
import { STANDBY, type CloneOutcome, type ToOwner, type ToWorker, type WorkerJob } from './worker-protocol';
import type { Dispatcher } from 'undici';

export interface IsomorphicEngineOptions {
  /** Inflate with Node's zlib instead of pako (default true; see native-zlib.ts). */
  nativeZlib?: boolean;
  /**
   * Run pack indexing and checkout on a worker thread (default true) so the caller's thread, the
   * Electron main thread, stays responsive. `workerUrl` points at the built worker entry when a
   * bundler moved it; by default it is found next to this file.
   */
  worker?: boolean;
  workerUrl?: URL;
  logger?: Logger;
}

/**
 * The built-in clone path: isomorphic-git, with HTTP through the account's undici dispatcher.
 * Needs nothing installed; slower than git (see bench/clone.ts). Credentials come from the
 * callback and travel only in the Authorization header; isomorphic-git never writes them to disk.
 */
export function createIsomorphicEngine(options: IsomorphicEngineOptions = {}): CloneEngine {
  const nativeZlib = options.nativeZlib ?? true;
  const worker = (options.worker ?? true) ? workerEntry(options.workerUrl) : undefined;
  if ((options.worker ?? true) && !worker)
    options.logger?.warn('isomorphic-git worker entry not found; cloning on the calling thread');
  return {
    name: 'isomorphic-git',
    async clone(req: EngineRequest) {
      const ctx = { url: req.url, branch: req.branch, proxyUrl: req.network?.proxyUrl };
      if (req.signal.aborted) throw cancelledError();
      if (worker) {
        const job: WorkerJob = {
          kind: 'clone',
          url: req.url,
          dir: req.dir,
          branch: req.branch,
          depth: req.depth,
          nativeZlib,
        };
        const result = await runInWorker(worker, job, { ...req, ctx });
        if (!result) throw new CospecError('CLONE_FAILED', 'The clone stopped unexpectedly.');
        return result;
      }
      if (nativeZlib) useNativeZlibForIsomorphicGit();
      try {
        return await isomorphicClone({
          ...req,
          http: undiciHttpClient({ dispatcher: req.dispatcher, signal: req.signal }),
        });
      } catch (error) {
        throw mapIsomorphicError(error, ctx, req.signal);
      }
    },
  };
}

export interface WorkerEntry {
  url: URL;
}

/**
 * The worker's script: built JavaScript next to this file (the app's build emits it), or, when
 * running from TypeScript sources (tests, dev), the source bundled once with esbuild, because
 * worker threads here do not inherit tsx's loader hooks.
 */
export function workerEntry(explicit?: URL): WorkerEntry | undefined {
  if (explicit) return { url: explicit };
  for (const ext of ['.js', '.mjs']) {
    const url = new URL(`./isomorphic-worker${ext}`, import.meta.url);
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return { url };
  }
  const ts = new URL('./isomorphic-worker.ts', import.meta.url);
  if (ts.protocol !== 'file:' || !existsSync(fileURLToPath(ts))) return undefined;
  try {
    return { url: bundleForDev(fileURLToPath(ts)) };
  } catch {
    return undefined;
  }
}

let devBundle: URL | undefined;
function bundleForDev(source: string): URL {
  if (devBundle) return devBundle;
  // esbuild comes with the dev toolchain (tsx, vite); a packaged app never reaches this line.
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as {
    buildSync(o: Record<string, unknown>): { outputFiles: Array<{ text: string }> };
  };
  const built = esbuild.buildSync({
    entryPoints: [source],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
  });
  const text = built.outputFiles[0]?.text ?? '';
  // Inside node_modules, so the bundle's package imports resolve like the sources' do; named by
  // content, so concurrent test workers share one file and edits get a new one.
  const resolved = require.resolve('isomorphic-git');
  const nodeModules = resolved.slice(0, resolved.lastIndexOf('node_modules') + 'node_modules'.length);
  const dir = join(nodeModules, '.cache', 'cospec-git-worker');
  const file = join(dir, `isomorphic-worker-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, file);
  }
  devBundle = pathToFileURL(file);
  return devBundle;
}

const YOUNG_GENERATION_MB = 3;

/** What a worker job needs from this thread: the account's network, credentials, progress, cancel. */
export interface WorkerIo {
  dispatcher?: Dispatcher;
  credentials: () => Promise<GitCredentials>;
  onProgress: (detail: string, percent?: number) => void;
  signal: AbortSignal;
  /** Where the job's time went, when it says (a mirror copy does). */
  onTimings?: (timings: Record<string, number>) => void;
  /** For error messages: what is being cloned or fetched. */
  ctx: { url: string; branch?: string; proxyUrl?: string };
}

function startWorker(entry: WorkerEntry, workerData: WorkerJob | typeof STANDBY): Worker {
  // A small young generation: the clone makes many short-lived buffers (inflated objects,
  // chunks), and frequent scavenges free them before they pile up; measured in bench/clone.ts,
  // this lowers both peak memory and CPU time (less to copy per scavenge). No execArgv: the script
  // is plain JavaScript, and inheriting a loader (tsx in development, tests and the bench) cost
  // ~0.2 s per start.
  return new Worker(entry.url, {
    workerData,
    execArgv: [],
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });
}

/** A worker started before its job, loading its script meanwhile; runInWorker takes it. */
export interface StandbyWorker {
  /** The worker, once: undefined if it was taken, stopped idle, or failed to start. */
  take(): Worker | undefined;
}

/** Unused this long, a standby worker is stopped. */
const STANDBY_IDLE_MS = 60_000;

/**
 * Starts a worker ahead of its job: its start (loading isomorphic-git and the rest of its script,
 * 0.3-0.6 s of a repeat run's workspace copy on the bench machine) then overlaps whatever the
 * caller does first. It keeps no process alive and stops itself when unused.
 */
export function standbyWorker(entry: WorkerEntry): StandbyWorker {
  let worker: Worker | undefined = startWorker(entry, STANDBY);
  const drop = () => {
    const w = worker;
    worker = undefined;
    clearTimeout(idle);
    void w?.terminate();
  };
  worker.unref();
  // Until taken, a failure to start only means the job starts a worker of its own.
  worker.on('error', drop);
  worker.on('exit', drop);
  const idle = setTimeout(drop, STANDBY_IDLE_MS);
  idle.unref();
  return {
    take() {
      const w = worker;
      if (!w) return undefined;
      worker = undefined;
      clearTimeout(idle);
      w.off('error', drop);
      w.off('exit', drop);
      w.ref();
      return w;
    },
  };
}

/**
 * Runs one job (a clone, or the clone cache's fetch or copy) on a worker thread, serving its HTTP
 * requests and credentials from this thread; settles once the worker has exited. Given a worker
 * taken from standbyWorker, the job goes to it instead of a new one.
 */
export function runInWorker(
  entry: WorkerEntry,
  job: WorkerJob,
  req: WorkerIo,
  ready?: Worker,
): Promise<CloneOutcome | undefined> {
  const ctx = req.ctx;
  return new Promise<CloneOutcome | undefined>((resolve, reject) => {
    const worker = ready ?? startWorker(entry, job);
    if (ready) ready.postMessage({ type: 'job', job } satisfies ToWorker);
    const http = undiciHttpClient({ dispatcher: req.dispatcher, signal: req.signal });
    const send = (message: ToWorker, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer);
    let outcome: { ok: true; value: CloneOutcome | undefined } | { ok: false; error: CospecError } | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const onAbort = () => {
      send({ type: 'abort' });
      // A worker stuck in a long synchronous step is stopped outright.
      killTimer = setTimeout(() => void worker.terminate(), 5000);
    };
    req.signal.addEventListener('abort', onAbort, { once: true });

    const credits = new Map<number, FlowControl>();
    const serveHttp = async (m: Extract<ToOwner, { type: 'http' }>) => {
      const flow = new FlowControl();
      credits.set(m.id, flow);
      try {
        const res = await http.request({
          url: m.url,
          method: m.method,
          headers: m.headers,
          body: m.body ? one(m.body) : undefined,
        });
        send({ type: 'http-head', id: m.id, statusCode: res.statusCode, headers: res.headers ?? {} });
        // Socket reads are batched into messages of BATCH_BYTES: fewer wake-ups of both threads.
        let batch: Uint8Array[] = [];
        let batched = 0;
        const flush = async () => {
          if (!batched) return;
          // One buffer the worker owns (moved, not copied, across the thread boundary).
          const own = Buffer.concat(batch, batched);
          const bytes = new Uint8Array(own.buffer, own.byteOffset, own.byteLength);
          const transfer =
            own.byteOffset === 0 && own.byteLength === own.buffer.byteLength ? [own.buffer as ArrayBuffer] : [];
          batch = [];
          batched = 0;
          send({ type: 'http-chunk', id: m.id, chunk: bytes }, transfer);
          // Stop reading (TCP then slows the server) while the worker is behind: the pack
          // waits in the socket, not in memory on either thread.
          await flow.sent(bytes.byteLength);
        };
        for await (const chunk of res.body ?? []) {
          batch.push(chunk);
          batched += chunk.byteLength;
          if (batched >= BATCH_BYTES) await flush();
        }
        await flush();
        send({ type: 'http-end', id: m.id });
      } catch (error) {
        send({ type: 'http-error', id: m.id, error: toErrorEnvelope(mapIsomorphicError(error, ctx, req.signal)) });
      } finally {
        credits.delete(m.id);
      }
    };

    worker.on('message', (m: ToOwner) => {
      switch (m.type) {
        case 'progress':
          req.onProgress(m.detail, m.percent);
          return;
        case 'credentials':
          req.credentials().then(
            (value) => send({ type: 'credentials', id: m.id, value }),
            (error: unknown) => send({ type: 'credentials', id: m.id, error: toErrorEnvelope(error) }),
          );
          return;
        case 'http':
          void serveHttp(m);
          return;
        case 'http-read':
          credits.get(m.id)?.read(m.bytes);
          return;
        case 'done':
          if (m.timings) req.onTimings?.(m.timings);
          outcome = { ok: true, value: m.result };
          return;
        case 'error':
          outcome = { ok: false, error: CospecError.fromEnvelope(m.error) };
          return;
      }
    });
    worker.on('error', (error) => {
      outcome ??= { ok: false, error: mapIsomorphicError(error, ctx, req.signal) };
    });
    // Settle only once the worker is gone, so nobody removes the folder while it still writes.
    worker.on('exit', () => {
      for (const flow of credits.values()) flow.read(Number.POSITIVE_INFINITY);
      req.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (req.signal.aborted) return reject(cancelledError());
      if (outcome?.ok) return resolve(outcome.value);
      reject(outcome?.error ?? new CospecError('CLONE_FAILED', 'The git worker stopped unexpectedly.'));
    });
  });
}

const BATCH_BYTES = 256 * 1024;

/** Bytes sent to the worker and not consumed yet, at most IN_FLIGHT_BYTES. */
const IN_FLIGHT_BYTES = 1024 * 1024;
class FlowControl {
  private inFlight = 0;
  private wake: (() => void) | undefined;
  async sent(bytes: number): Promise<void> {
    this.inFlight += bytes;
    while (this.inFlight > IN_FLIGHT_BYTES) await new Promise<void>((resolve) => (this.wake = resolve));
  }
  read(bytes: number): void {
    this.inFlight -= bytes;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

async function* one(chunk: Uint8Array): AsyncIterableIterator<Uint8Array> {
  yield chunk;
}
