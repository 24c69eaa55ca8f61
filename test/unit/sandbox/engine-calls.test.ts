import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import { connectEngine } from '../../../src-main/services/sandbox';

/**
 * Engine control calls against an engine socket that misbehaves: a call the engine leaves
 * unanswered is reported as a slow engine, not as a missing one, and a read whose connection
 * drops once is tried again.
 */

const LABEL = 'cospec.test.engine-calls';

describe('engine calls on an engine that stops answering', () => {
  let dir: string | undefined;
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** An engine socket that answers the ping, then does what `answer` says with every other call. */
  async function fakeEngine(answer: 'silent' | 'hang-up' | 'drop-once'): Promise<string> {
    dir ??= await mkdtemp(join(tmpdir(), 'cospec-engine-calls-'));
    const path = join(dir, `${answer}-${servers.length}.sock`);
    let dropped = 0;
    const server = createServer((req, res) => {
      if (req.url?.endsWith('/_ping')) return void res.end('OK');
      if (answer === 'hang-up' || (answer === 'drop-once' && dropped++ === 0)) return void req.socket.destroy();
      if (answer === 'drop-once') {
        res.setHeader('content-type', 'application/json');
        return void res.end('[]');
      }
      // silent: never answers, as an engine stuck behind its own locks.
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return path;
  }

  it('says the engine is slow or stuck, not missing, when a call goes unanswered', async () => {
    const engine = await connectEngine(await fakeEngine('silent'), {}, 800);
    const error = await engine.listContainers(LABEL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CospecError);
    expect((error as CospecError).code).toBe('ENGINE_TIMEOUT');
    expect((error as CospecError).message).toMatch(/did not answer within 1 s.*overloaded or stuck/);
  });

  it('still says the engine went away when it drops the connection at once', async () => {
    const engine = await connectEngine(await fakeEngine('hang-up'), {}, 30_000);
    const error = await engine.listContainers(LABEL).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CospecError);
    expect((error as CospecError).code).toBe('ENGINE_UNAVAILABLE');
  });

  it('tries a read once more when the engine drops its connection, and says so if it keeps dropping', async () => {
    const engine = await connectEngine(await fakeEngine('drop-once'), {}, 30_000);
    expect(await engine.listContainers(LABEL)).toEqual([]);
    const gone = await connectEngine(await fakeEngine('hang-up'), {}, 30_000);
    await expect(gone.listContainers(LABEL)).rejects.toMatchObject({ code: 'ENGINE_UNAVAILABLE' });
  });
});
