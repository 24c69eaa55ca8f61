/**
 * `npm run bench keychain`: how long a keychain read holds main's event loop. Every GitLab call
 * reads its account's token (src-main/services/secrets/read-cache.ts keeps it briefly), and main
 * serves the window, the egress proxy and the credential gateway meanwhile. A 1 ms interval timer
 * on main records its longest gap during each read through the app's store (the keychain on its own
 * thread, src-main/services/secrets/keychain-thread.ts) and during an idle wait as long as that read
 * (the baseline: the timer's own jitter on this machine now); the library's AsyncEntry called on
 * main, as the app did before, is measured too and named in the note. Needs a Secret Service: run
 * it through scripts/with-keyring.sh on Linux.
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { AsyncEntry } from '@napi-rs/keyring';
import { createKeyringSecretStore } from '../src-main/services/secrets/keyring-store';
import { median, result, type BenchResult } from './types';

const ROUNDS = Number(process.env.BENCH_KEYCHAIN_ROUNDS ?? 40);
const SERVICE = 'coSPEC Desktop bench';

/** Runs `work` while a 1 ms timer watches main; returns how long it took and main's longest gap. */
async function watched(work: () => Promise<unknown>): Promise<{ ms: number; stallMs: number }> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  await work();
  const ms = performance.now() - started;
  // One more tick, so a stall that ended with the work is counted.
  await new Promise((resolve) => setTimeout(resolve, 2));
  clearInterval(timer);
  stallMs = Math.max(stallMs, performance.now() - last - 2);
  return { ms, stallMs };
}

export async function benchKeychain(): Promise<BenchResult[]> {
  if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS) {
    process.stderr.write('bench: keychain: skipped: no D-Bus session; run it through scripts/with-keyring.sh\n');
    return [];
  }
  const key = `bench:${randomUUID()}`;
  const store = createKeyringSecretStore(SERVICE);
  await store.set(key, 'glpat-bench');
  try {
    await store.get(key); // the thread's start is not a read's cost
    const thread: Array<{ ms: number; stallMs: number }> = [];
    const idle: number[] = [];
    const onMain: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const read = await watched(() => store.get(key));
      thread.push(read);
      idle.push((await watched(() => new Promise((resolve) => setTimeout(resolve, read.ms)))).stallMs);
      // As the app did before: a new entry per call (its creation is where the library blocks).
      onMain.push((await watched(() => new AsyncEntry(SERVICE, key).getPassword())).stallMs);
    }
    const stall = median(thread.map((r) => r.stallMs));
    const baseline = median(idle);
    return [
      result({
        name: "keychain read: main's longest event-loop stall",
        baseline: 'an idle wait as long, same timer',
        baselineValue: baseline,
        value: stall,
        unit: 'ms',
        target: 2,
        note:
          `target ≤ 2×: ${stall <= baseline * 2 ? 'met' : 'NOT met'}; median of ${ROUNDS} reads of a real ` +
          `Secret Service entry through the app's store (each read ${median(thread.map((r) => r.ms)).toFixed(1)} ms); ` +
          `the library's AsyncEntry called on main stalls it ${median(onMain).toFixed(1)} ms; ` +
          `load average ${loadavg()[0]?.toFixed(1)} on this machine`,
      }),
    ];
  } finally {
    await store.delete(key);
  }
}
