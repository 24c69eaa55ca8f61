import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../../src-main/platform/ipc-dispatch';
import { removeDir, startServices } from '../accounts/harness';
import { sandboxSkipReason } from '../sandbox/harness';

const skip = await sandboxSkipReason();
if (skip) console.warn(`[settings] skipping the engine choice test: ${skip}`);

let ctx: Awaited<ReturnType<typeof startServices>>;
beforeAll(async () => {
  ctx = await startServices();
});
afterAll(async () => {
  await ctx.services.dispose();
  removeDir(ctx.dataDir);
});

describe('choosing the container engine in settings', () => {
  it.skipIf(skip)('finds the local engine by itself and reports it with its image', async () => {
    const status = await ctx.services.handlers.settings.engineStatus();
    expect(status).toMatchObject({ ok: true, engine: expect.stringMatching(/podman|docker/i), image: true });
    expect(status.endpoint).toMatch(/^unix:\/\//);
  });

  it('says what to install or start when the chosen engine does not answer, and goes back to automatic', async () => {
    const view = await ctx.services.handlers.settings.update({ containerSocket: `${ctx.dataDir}/nothing.sock` });
    expect(view.sandbox.engine).toBe(`${ctx.dataDir}/nothing.sock`);
    const status = await ctx.services.handlers.settings.engineStatus();
    expect(status.ok).toBe(false);
    expect(status.message).toMatch(/No container engine answered \(tried unix:\/\/.*nothing\.sock\)/);
    expect(status.message).toMatch(/Podman|Docker/);

    const back = await ctx.services.handlers.settings.update({ containerSocket: null });
    expect(back.sandbox.engine).toBeNull();
    if (!skip) expect((await ctx.services.handlers.settings.engineStatus()).ok).toBe(true);
  });

  it('refuses, at the IPC edge, something that is not a socket path or engine URL', async () => {
    const dispatch = createDispatcher(ctx.services.handlers, ctx.logger);
    const result = await dispatch('settings', 'update', [{ containerSocket: 'http://example.com' }]);
    expect(result).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect((await ctx.services.handlers.settings.get()).sandbox.engine).toBeNull();
  });
});
