import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTarget as buildInto, root } from './build-targets';
import { allInvokeChannels, contract, eventChannel, type CospecApi, type WireResult } from '../../../src-shared/ipc';

let outDir: string;
const buildTarget = (target: 'main' | 'preload') => buildInto(target, outDir);

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'cospec-bundles-'));
});
afterAll(() => rm(outDir, { recursive: true, force: true }));

/**
 * Runs the built preload the way a sandboxed renderer does: CommonJS, and `require` answers only
 * 'electron' (here with a recorded contextBridge and ipcRenderer). Anything else it requires fails,
 * as it would in Electron's sandbox.
 */
let preloadCode: Promise<string> | undefined;
async function loadPreload() {
  preloadCode ??= buildTarget('preload').then((dir) => readFile(join(dir, 'index.cjs'), 'utf8'));
  const code = await preloadCode;
  const exposed: Array<[string, unknown]> = [];
  const invoked: Array<{ channel: string; args: unknown[] }> = [];
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  let answer: WireResult = { ok: true, value: undefined };
  const ipcRenderer = {
    invoke: async (channel: string, ...args: unknown[]) => (invoked.push({ channel, args }), answer),
    on: (channel: string, fn: (...args: unknown[]) => void) =>
      void (listeners.get(channel) ?? listeners.set(channel, new Set()).get(channel)!).add(fn),
    removeListener: (channel: string, fn: (...args: unknown[]) => void) => void listeners.get(channel)?.delete(fn),
  };
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => void exposed.push([key, api]) },
    ipcRenderer,
  };
  const required: string[] = [];
  const sandboxRequire = (id: string) => {
    required.push(id);
    if (id === 'electron') return electron;
    throw new Error(`module not found: ${id} (a sandboxed preload can require only electron)`);
  };
  const module = { exports: {} };
  runInNewContext(code, {
    require: sandboxRequire,
    module,
    exports: module.exports,
    console,
    Promise,
    Error,
    TypeError,
    Symbol,
    Object,
    Array,
    Set,
    Map,
    JSON,
    URL,
  });
  return {
    exposed,
    invoked,
    required,
    setAnswer: (a: WireResult) => void (answer = a),
    emit: (channel: string, payload: unknown) =>
      listeners.get(channel)?.forEach((fn) => fn({ sender: ipcRenderer }, payload)),
    listenerCount: (channel: string) => listeners.get(channel)?.size ?? 0,
  };
}

describe('preload bundle', () => {
  it('needs nothing but electron, so it runs in the sandbox', { timeout: 60_000 }, async () => {
    const preload = await loadPreload();
    expect([...new Set(preload.required)]).toEqual(['electron']);
  });

  it('exposes exactly window.cospec: one function per contract method and on()', { timeout: 60_000 }, async () => {
    const { exposed } = await loadPreload();
    expect(exposed.map(([key]) => key)).toEqual(['cospec']);
    const api = exposed[0]![1] as Record<string, Record<string, unknown> | ((...a: unknown[]) => unknown)>;
    const expected: Record<string, string[]> = {};
    for (const [service, methods] of Object.entries(contract)) expected[service] = Object.keys(methods).sort();
    const actual: Record<string, string[]> = {};
    for (const [key, value] of Object.entries(api)) if (key !== 'on') actual[key] = Object.keys(value).sort();
    expect(actual).toEqual(expected);
    expect(typeof api.on).toBe('function');
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/ipc|invoke|send|require/i);
  });

  it(
    'sends each call on its contract channel and unwraps results and error envelopes',
    { timeout: 60_000 },
    async () => {
      const preload = await loadPreload();
      const api = preload.exposed[0]![1] as CospecApi;
      preload.setAnswer({ ok: true, value: { name: 'coSPEC Desktop' } });
      await expect(api.app.getInfo()).resolves.toEqual({ name: 'coSPEC Desktop' });
      preload.setAnswer({
        ok: false,
        error: { code: 'INVALID_URL', message: 'Only http and https links can be opened' },
      });
      await expect(api.app.openExternal('file:///etc/passwd')).rejects.toMatchObject({
        code: 'INVALID_URL',
        message: 'Only http and https links can be opened',
      });
      expect(preload.invoked).toEqual([
        { channel: 'cospec:app:getInfo', args: [] },
        { channel: 'cospec:app:openExternal', args: ['file:///etc/passwd'] },
      ]);
      expect(allInvokeChannels().map((c) => c.channel)).toContain('cospec:app:getInfo');
    },
  );

  it('delivers events without the IPC event object and unsubscribes', { timeout: 60_000 }, async () => {
    const preload = await loadPreload();
    const api = preload.exposed[0]![1] as CospecApi;
    const seen: unknown[][] = [];
    const off = api.on('updates.didChange', (...args: unknown[]) => void seen.push(args));
    const channel = eventChannel('updates.didChange');
    preload.emit(channel, { status: 'idle' });
    expect(seen).toEqual([[{ status: 'idle' }]]);
    off();
    expect(preload.listenerCount(channel)).toBe(0);
    expect(() => api.on('no.such.event' as 'updates.didChange', () => undefined)).toThrow(/Unknown event/);
  });
});

describe('main bundle', () => {
  it('imports only Electron, Node built-ins and production dependencies', { timeout: 120_000 }, async () => {
    const outDir = await buildTarget('main');
    // index.js, the isomorphic-git worker and the chunks they share: all of them ship.
    const files = (await readdir(outDir, { recursive: true })).filter((f) => f.endsWith('.js'));
    const code = (await Promise.all(files.map((f) => readFile(join(outDir, f), 'utf8')))).join('\n');
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const specifiers = new Set(
      [...code.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?["']([^"']+)["']/gm)].map((m) => m[1]!),
    );
    const allowed = (s: string) =>
      s.startsWith('./') ||
      s === 'electron' ||
      s.startsWith('node:') ||
      builtinModules.includes(s) ||
      Object.keys(pkg.dependencies).some((dep) => s === dep || s.startsWith(`${dep}/`));
    // A devDependency imported at run time would be missing from the packaged app.
    expect([...specifiers].filter((s) => !allowed(s))).toEqual([]);
    expect(specifiers.has('electron')).toBe(true);
  });
});
