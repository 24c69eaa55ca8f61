import { fork } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildTarget, root } from '../build-targets';

export type Call = { api: string; detail?: unknown };

export interface RecordedApp {
  work: string;
  dataDir: string;
  /** Sends one command to the recording Electron stand-in (electron.mjs) and returns its answer. */
  ask<T = unknown>(command: string, input?: unknown): Promise<T>;
  calls(): Promise<Call[]>;
  /** Waits for a state of the recorded calls, not for a duration: the caller's test timeout bounds it. */
  until(predicate: (calls: Call[]) => boolean): Promise<Call[]>;
  stderr(): string;
  /** Resolves when the app quit through app.quit() without being held. */
  exited: Promise<unknown>;
  stop(): Promise<void>;
}

/**
 * Builds main and preload as electron.vite.config.ts does and runs out/main/index.js in Node, with
 * 'electron' resolved to the recording stand-in. Answers once the synchronous start-up has run
 * (before `ready`: send the 'ready' command to continue).
 */
export async function startRecordedApp(env: NodeJS.ProcessEnv = {}): Promise<RecordedApp> {
  // Inside node_modules so the bundle's external imports (zod, conf …) resolve as in the app.
  await mkdir(join(root, 'node_modules/.cache'), { recursive: true });
  const work = await mkdtemp(join(root, 'node_modules/.cache/cospec-recorded-app-'));
  const dataDir = join(work, 'data');
  await Promise.all([buildTarget('main', join(work, 'out')), buildTarget('preload', join(work, 'out'))]);
  await mkdir(join(work, 'out/renderer'), { recursive: true });
  await writeFile(join(work, 'out/renderer/index.html'), '<!doctype html><title>stand-in renderer</title>');

  const child = fork(join(work, 'out/main/index.js'), [], {
    execArgv: ['--import', new URL('./register.mjs', import.meta.url).href],
    env: {
      ...process.env,
      COSPEC_DATA_DIR: dataDir,
      COSPEC_POLICY_PATH: join(work, 'no-policy.json'),
      COSPEC_DEVELOPMENT: '1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let onExited: (m: unknown) => void = () => undefined;
  const exited = new Promise((resolve) => (onExited = resolve));
  const started = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the main process ended during start-up (${code}):\n${stderr}`)));
    child.on('message', (m: { type?: string; id?: number; result?: unknown; error?: string }) => {
      if (m.type === 'started') resolve();
      if (m.type === 'exited') onExited(m);
      if (m.id === undefined) return;
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(new Error(m.error));
      else p?.resolve(m.result);
    });
  });
  await started;

  const ask = <T>(command: string, input?: unknown) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, command, input });
    });
  const calls = () => ask<Call[]>('calls');
  return {
    work,
    dataDir,
    ask,
    calls,
    async until(predicate) {
      for (;;) {
        const current = await calls();
        if (predicate(current)) return current;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stderr: () => stderr,
    exited,
    async stop() {
      child.kill();
      await rm(work, { recursive: true, force: true });
    },
  };
}
