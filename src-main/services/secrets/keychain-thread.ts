import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';

/** The OS keychain's three calls, by service and key; what keyring-store.ts builds its store on. */
export interface Keychain {
  get(service: string, key: string): Promise<string | undefined>;
  set(service: string, key: string, value: string): Promise<void>;
  delete(service: string, key: string): Promise<void>;
}

/*
 * Creating an @napi-rs/keyring AsyncEntry holds the calling thread while the library opens its own
 * D-Bus session with the Secret Service (on Linux): measured here, main's event loop stalled for as
 * long as the whole call, 10-25 ms each at load 8 and 200 ms while a cold review loaded
 * (`npm run bench keychain`, bench/keychain.ts). In the app that thread is main, which serves the
 * window's calls, the egress proxy and the credential gateway. So every keychain call runs on a
 * worker thread of its own; main only posts and awaits. The thread keeps the entries of the last few
 * keys (a read then takes a quarter of the time); one that failed is dropped, so a restarted
 * keychain daemon gets a new one. AsyncEntry still, not the library's synchronous Entry: on Linux,
 * Entry also keeps the secret in the kernel's session keyring and reports a write as done when only
 * that copy succeeded, so a token would seem kept with no Secret Service and be gone at next login.
 */
const ENTRIES_KEPT = 32;
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { AsyncEntry } = require(workerData.module);
const entries = new Map();
parentPort.on('message', async (call) => {
  const id = call.service + '\\0' + call.key;
  let reply;
  try {
    let entry = entries.get(id);
    if (!entry) {
      if (entries.size >= ${ENTRIES_KEPT}) entries.delete(entries.keys().next().value);
      entry = new AsyncEntry(call.service, call.key);
      entries.set(id, entry);
    }
    if (call.op === 'get') reply = { id: call.id, ok: true, value: (await entry.getPassword()) ?? null };
    else if (call.op === 'set') { await entry.setPassword(call.value); reply = { id: call.id, ok: true, value: null }; }
    else { await entry.deleteCredential(); reply = { id: call.id, ok: true, value: null }; }
  } catch (error) {
    entries.delete(id);
    reply = { id: call.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort.postMessage(reply);
});
`;

const ReplySchema = z.discriminatedUnion('ok', [
  z.object({ id: z.number(), ok: z.literal(true), value: z.string().nullable() }),
  z.object({ id: z.number(), ok: z.literal(false), message: z.string() }),
]);

/** Unused this long, the thread stops; the next call starts another (tens of ms, off main). */
const IDLE_STOP_MS = 60_000;

type Op = 'get' | 'set' | 'delete';
interface Pending {
  resolve(value: string | null): void;
  reject(error: Error): void;
}

/**
 * The keychain on a worker thread. The thread keeps the process alive only while a call is waiting
 * (the `cospec` command exits as soon as its work is done), and a thread that fails or exits fails
 * its waiting calls, never later ones: the next call starts a new thread.
 */
export function keychainOnThread(options: { module?: string } = {}): Keychain {
  let current: { worker: Worker; pending: Map<number, Pending> } | undefined;
  let nextId = 0;
  let idleTimer: NodeJS.Timeout | undefined;

  function start(): { worker: Worker; pending: Map<number, Pending> } {
    // The module is a path the thread requires; tests give another with the same AsyncEntry class.
    const module = options.module ?? createRequire(import.meta.url).resolve('@napi-rs/keyring');
    // No execArgv: a loader inherited from the parent (tsx in development) is not needed by this
    // plain CommonJS and would only slow the start.
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module }, execArgv: [] });
    const thread = { worker, pending: new Map<number, Pending>() };
    const fail = (error: Error) => {
      if (current === thread) current = undefined;
      for (const waiting of thread.pending.values()) waiting.reject(error);
      thread.pending.clear();
    };
    worker.on('message', (message: unknown) => {
      const reply = ReplySchema.safeParse(message);
      if (!reply.success) return fail(new Error('the keychain thread answered something unexpected'));
      const waiting = thread.pending.get(reply.data.id);
      thread.pending.delete(reply.data.id);
      if (reply.data.ok) waiting?.resolve(reply.data.value);
      else waiting?.reject(new Error(reply.data.message));
      if (thread.pending.size === 0) idle(thread);
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the keychain thread stopped (exit code ${code})`)));
    return thread;
  }

  function idle(thread: { worker: Worker; pending: Map<number, Pending> }): void {
    thread.worker.unref();
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      if (current !== thread || thread.pending.size > 0) return;
      current = undefined;
      void thread.worker.terminate();
    }, IDLE_STOP_MS);
    idleTimer.unref();
  }

  function call(op: Op, service: string, key: string, value?: string): Promise<string | null> {
    current ??= start();
    const thread = current;
    clearTimeout(idleTimer);
    thread.worker.ref();
    const id = nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, op, service, key, value });
    });
  }

  return {
    get: async (service, key) => (await call('get', service, key)) ?? undefined,
    set: async (service, key, value) => void (await call('set', service, key, value)),
    delete: async (service, key) => void (await call('delete', service, key)),
  };
}

let shared: Keychain | undefined;

/** One keychain thread per process, whatever number of stores use it. */
export function sharedKeychain(): Keychain {
  shared ??= keychainOnThread();
  return shared;
}
