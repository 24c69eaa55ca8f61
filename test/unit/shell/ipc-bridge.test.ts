import { describe, expect, it } from 'vitest';
import { createEventBus } from '../../../src-main/platform/events';
import { createDispatcher } from '../../../src-main/platform/ipc-dispatch';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createAppService } from '../../../src-main/services/app';
import {
  forwardEvents,
  isTrustedSender,
  registerIpcBridge,
  type InvokeEventLike,
} from '../../../src-main/shell/ipc-bridge';
import {
  allInvokeChannels,
  contract,
  CospecError,
  eventChannel,
  type CospecHandlers,
  type WireResult,
} from '../../../src-shared/ipc';
import { RecordedWebContents } from './recorders';

type Handler = (event: InvokeEventLike, ...args: unknown[]) => Promise<WireResult>;

/** The real app service; every other method answers NOT_FOUND (these tests are about the bridge). */
function handlers(opened: string[]): CospecHandlers {
  const all: Record<string, Record<string, () => Promise<never>>> = {};
  for (const [service, methods] of Object.entries(contract)) {
    all[service] = Object.fromEntries(
      Object.keys(methods).map((m) => [
        m,
        async () => Promise.reject(new CospecError('NOT_FOUND', `${service}.${m} is not used here`)),
      ]),
    );
  }
  const app = createAppService({
    host: 'electron',
    appVersion: '1.2.3',
    dataDir: '/data',
    openExternal: async (url) => void opened.push(url),
  });
  return { ...all, app } as unknown as CospecHandlers;
}

function bridge() {
  const registered = new Map<string, Handler>();
  const removed: string[] = [];
  const opened: string[] = [];
  const sink = memorySink();
  const logger = createLogger({ sinks: [sink] });
  const trusted = new Set<number>([7]);
  const dispose = registerIpcBridge({
    ipcMain: {
      handle: (channel: string, fn: Handler) => void registered.set(channel, fn),
      removeHandler: (channel: string) => void removed.push(channel),
    } as never,
    dispatch: createDispatcher(handlers(opened), logger),
    trustedContentIds: trusted,
    logger,
  });
  return { registered, removed, opened, dispose, trusted, logLines: sink.lines };
}

/** An invoke event from the main frame of web contents `id` showing `url`. */
function eventFrom(url: string, id = 7): InvokeEventLike {
  const mainFrame = { url, parent: null };
  return { sender: { id, mainFrame }, senderFrame: mainFrame };
}

describe('IPC bridge', () => {
  it('registers exactly one handler per contract method, on the contract channels', () => {
    const { registered } = bridge();
    expect([...registered.keys()].sort()).toEqual(
      allInvokeChannels()
        .map((c) => c.channel)
        .sort(),
    );
  });

  it('dispatches a call from the app window through the contract', async () => {
    const { registered } = bridge();
    const result = await registered.get('cospec:app:getInfo')!(eventFrom('app://cospec/index.html#/accounts'));
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({ name: 'coSPEC Desktop', version: '1.2.3', host: 'electron' }),
    });
  });

  it('validates arguments with the contract schema before any service sees them', async () => {
    const { registered, opened } = bridge();
    const bad = await registered.get('cospec:app:openExternal')!(
      eventFrom('app://cospec/index.html'),
      'file:///etc/passwd',
    );
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_URL' } });
    const notUrl = await registered.get('cospec:app:openExternal')!(eventFrom('app://cospec/index.html'), 42);
    expect(notUrl).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    const good = await registered.get('cospec:app:openExternal')!(
      eventFrom('app://cospec/index.html'),
      'https://gitlab.com/',
    );
    expect(good).toEqual({ ok: true, value: undefined });
    expect(opened).toEqual(['https://gitlab.com/']);
  });

  it('refuses calls from any frame that is not the app window main frame showing app://', async () => {
    const { registered, opened, logLines } = bridge();
    const call = registered.get('cospec:app:openExternal')!;
    const mainFrame = { url: 'app://cospec/index.html', parent: null };
    const untrusted: Array<[string, InvokeEventLike]> = [
      ['a web page', eventFrom('https://evil.example/')],
      ['a file:// page', eventFrom('file:///tmp/index.html')],
      ['another app:// host', eventFrom('app://evil/index.html')],
      ['other web contents', eventFrom('app://cospec/index.html', 99)],
      ['a destroyed frame', { sender: { id: 7, mainFrame }, senderFrame: null }],
      [
        'an iframe',
        { sender: { id: 7, mainFrame }, senderFrame: { url: 'app://cospec/frame.html', parent: mainFrame } },
      ],
      [
        'a frame that is not the main frame',
        { sender: { id: 7, mainFrame }, senderFrame: { url: 'app://cospec/index.html', parent: null } },
      ],
    ];
    for (const [what, event] of untrusted) {
      expect(isTrustedSender(event, new Set([7])), what).toBe(false);
      expect(await call(event, 'https://gitlab.com/'), what).toMatchObject({
        ok: false,
        error: { code: 'UNTRUSTED_SENDER' },
      });
    }
    expect(opened).toEqual([]);
    expect(logLines.filter((l) => l.includes('untrusted sender'))).toHaveLength(untrusted.length);
  });

  it('stops trusting a window once it is no longer in the trusted set', async () => {
    const { registered, trusted } = bridge();
    trusted.delete(7);
    expect(await registered.get('cospec:app:getInfo')!(eventFrom('app://cospec/index.html'))).toMatchObject({
      error: { code: 'UNTRUSTED_SENDER' },
    });
  });

  it('removes every handler it registered', () => {
    const { registered, removed, dispose } = bridge();
    dispose();
    expect(removed.sort()).toEqual([...registered.keys()].sort());
  });
});

describe('event forwarding', () => {
  it('sends contract events to the windows on the contract channel, parsed by the event schema', () => {
    const bus = createEventBus();
    const window = new RecordedWebContents();
    const closed = new RecordedWebContents();
    closed.destroyed = true;
    const off = forwardEvents(bus, () => [window, closed], createLogger({ sinks: [memorySink()] }));
    const state = { status: 'idle' as const, currentVersion: '1.0.0', managed: false };
    bus.emit('updates.didChange', { ...state, token: 'glpat-should-not-cross' } as typeof state);
    expect(window.sent).toEqual([{ channel: eventChannel('updates.didChange'), payload: state }]);
    expect(closed.sent).toEqual([]);
    off();
    bus.emit('updates.didChange', state);
    expect(window.sent).toHaveLength(1);
  });

  it('drops an event whose payload does not match the contract', () => {
    const bus = createEventBus();
    const window = new RecordedWebContents();
    const sink = memorySink();
    forwardEvents(bus, () => [window], createLogger({ sinks: [sink] }));
    bus.emit('accounts.didChange', [{ not: 'an account' }] as never);
    expect(window.sent).toEqual([]);
    expect(sink.lines.join('\n')).toContain('does not match the contract');
  });
});
