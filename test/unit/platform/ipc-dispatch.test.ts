import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createDispatcher } from '../../../src-main/platform/ipc-dispatch';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createAppService } from '../../../src-main/services/app';
import { CospecError, type CospecHandlers } from '../../../src-shared/ipc';

function handlers(overrides: Partial<CospecHandlers['app']> = {}): CospecHandlers {
  const fail = async (): Promise<never> => {
    throw new CospecError('NOT_FOUND', 'nothing here');
  };
  return {
    app: {
      getInfo: async () => ({
        name: 'coSPEC Desktop',
        version: '1.0.0',
        platform: 'linux',
        host: 'harness',
        dataDir: '/tmp/x',
      }),
      openExternal: async () => undefined,
      pickFolder: async () => null,
      ...overrides,
    },
    accounts: {
      list: async () => [],
      connectWithToken: fail,
      beginOAuth: fail,
      waitForOAuth: fail,
      cancelOAuth: fail,
      revalidate: fail,
      updateNetwork: fail,
      disconnect: fail,
    },
    repositories: { list: fail, refresh: fail },
    runs: { list: fail, get: fail, start: fail, cancel: fail, rerun: fail, logs: fail, refreshOutputs: fail },
    updates: { getState: fail, check: fail, download: fail, installAndRestart: fail },
    settings: {
      get: fail,
      update: fail,
      setAgentKey: fail,
      engineStatus: fail,
      cloneCache: fail,
      clearCloneCache: fail,
    },
    localGitLab: { status: fail, start: fail, stop: fail },
    review: {
      list: fail,
      checkout: fail,
      get: fail,
      fileDiff: fail,
      fileDiffs: fail,
      crossCheck: fail,
      summary: fail,
      discussions: fail,
      comment: fail,
      approve: fail,
      unapprove: fail,
      merge: fail,
      close: fail,
      followUpDraft: fail,
      askAgent: fail,
    },
  };
}

describe('IPC dispatcher', () => {
  const logger = createLogger({ sinks: [memorySink()] });

  it('returns the validated result of a handler', async () => {
    const dispatch = createDispatcher(handlers(), logger);
    const result = await dispatch('app', 'getInfo', []);
    expect(result).toEqual({ ok: true, value: expect.objectContaining({ name: 'coSPEC Desktop' }) });
  });

  it('refuses arguments that do not match the contract with INVALID_INPUT', async () => {
    const dispatch = createDispatcher(handlers(), logger);
    const result = await dispatch('app', 'openExternal', ['not a url']);
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });

  it('strips fields the result schema does not name, so secrets cannot leak by accident', async () => {
    const leaky = handlers({
      getInfo: async () =>
        ({
          name: 'n',
          version: 'v',
          platform: 'linux',
          host: 'harness',
          dataDir: '/d',
          token: 'glpat-secret',
        }) as never,
    });
    const result = await createDispatcher(leaky, logger)('app', 'getInfo', []);
    expect(JSON.stringify(result)).not.toContain('glpat-secret');
  });

  it('carries a service error as an envelope with its stable code', async () => {
    const result = await createDispatcher(handlers(), logger)('accounts', 'revalidate', ['id']);
    expect(result).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'nothing here' } });
  });

  it('answers unknown methods and unexpected exceptions with INTERNAL, keeping the app alive', async () => {
    const dispatch = createDispatcher(
      handlers({
        getInfo: async () => {
          throw new TypeError('bug');
        },
      }),
      logger,
    );
    expect(await dispatch('nope', 'x', [])).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(await dispatch('app', 'getInfo', [])).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
  });

  it("calls a result that fails its own contract INTERNAL, with a log entry, not the caller's mistake", async () => {
    const sink = memorySink();
    const dispatch = createDispatcher(
      handlers({ getInfo: async () => ({ name: 'n' }) as never }),
      createLogger({ sinks: [sink] }),
    );
    const result = await dispatch('app', 'getInfo', []);
    expect(result).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(sink.lines.join('\n')).toContain('ipc call failed');
  });

  it('calls GitLab JSON of an unexpected shape (a ZodError inside a service) INTERNAL, with a log entry', async () => {
    const sink = memorySink();
    const dispatch = createDispatcher(
      handlers({
        getInfo: async () => z.object({ id: z.number() }).parse({ id: 'not a number' }) as never,
      }),
      createLogger({ sinks: [sink] }),
    );
    const result = await dispatch('app', 'getInfo', []);
    expect(result).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    expect(sink.lines.join('\n')).toContain('ipc call failed');
  });

  describe('app.pickFolder', () => {
    const withPicker = (pickFolder?: (o: { title?: string; defaultPath?: string }) => Promise<string | undefined>) =>
      createDispatcher(
        {
          ...handlers(),
          app: createAppService({
            host: pickFolder ? 'electron' : 'harness',
            appVersion: '1',
            dataDir: '/d',
            openExternal: async () => undefined,
            pickFolder,
          }),
        },
        logger,
      );

    it('returns the folder the picker chose, and null when the user cancelled', async () => {
      const asked: unknown[] = [];
      const dispatch = withPicker(async (options) => {
        asked.push(options);
        return asked.length === 1 ? '/home/me/review' : undefined;
      });
      expect(await dispatch('app', 'pickFolder', [{ title: 'Check out into', defaultPath: '/home/me' }])).toEqual({
        ok: true,
        value: '/home/me/review',
      });
      expect(await dispatch('app', 'pickFolder', [{}])).toEqual({ ok: true, value: null });
      expect(asked).toEqual([{ title: 'Check out into', defaultPath: '/home/me' }, {}]);
    });

    it('says that folder picking needs the desktop app where there is no picker', async () => {
      const result = await withPicker()('app', 'pickFolder', [{}]);
      expect(result).toMatchObject({
        ok: false,
        error: { message: expect.stringContaining('needs the coSPEC desktop app') },
      });
    });

    it('refuses options that do not match the contract', async () => {
      const dispatch = withPicker(async () => '/x');
      expect(await dispatch('app', 'pickFolder', [{ title: 42 }])).toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT' },
      });
      expect(await dispatch('app', 'pickFolder', ['/etc'])).toMatchObject({
        ok: false,
        error: { code: 'INVALID_INPUT' },
      });
    });
  });
});
