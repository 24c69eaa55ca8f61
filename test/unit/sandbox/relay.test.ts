import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { perlProgram } from '../../../src-main/services/sandbox/listener-handoff';
import { connectWhenListening, freePort, readAll, sha } from '../../support/local-sockets';

/**
 * The egress relay (resources/sandbox/relay.pl) under this machine's perl, in both of its ways of
 * moving bytes: splice(2) through a pipe per direction, and the copy loop it falls back to. The
 * far end is a TCP or unix socket server standing in for the proxy.
 */

// The program as the app runs it: fd-pass.pl in front of relay.pl.
const PROGRAM = perlProgram(join(__dirname, '../../../resources'), 'relay.pl');

const started: ChildProcessWithoutNullStreams[] = [];
const servers: Server[] = [];
let dir: string | undefined;

afterEach(async () => {
  for (const p of started.splice(0)) p.kill();
  for (const s of servers.splice(0)) s.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** An echo-and-reply far end: it reads everything the client sends, then answers with its hash and `reply`. */
async function farEnd(kind: 'tcp' | 'unix', reply: Buffer): Promise<string> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    void readAll(s).then((got) => {
      s.write(sha(got) + '\n');
      s.end(reply);
    });
  });
  servers.push(server);
  if (kind === 'unix') {
    dir = await mkdtemp(join(tmpdir(), 'cospec-relay-'));
    const path = join(dir, 'proxy.sock');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return `unix:${path}`;
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `tcp:127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe.each([
  { mode: 'splice', env: {} },
  { mode: 'copy', env: { COSPEC_RELAY_COPY: '1' } },
])('the egress relay ($mode)', ({ env }) => {
  it.each(['tcp', 'unix'] as const)(
    'carries 24 MB each way intact to a %s target, with half-close',
    async (kind) => {
      const reply = randomBytes(24 << 20);
      const target = await farEnd(kind, reply);
      const port = await freePort();
      const relay = spawn('perl', ['-e', await PROGRAM, '--', '127.0.0.1', String(port), target], {
        env: { ...process.env, ...env },
      });
      started.push(relay);
      const client = await connectWhenListening(port);
      const answer = readAll(client, true);
      const sent = randomBytes(24 << 20);
      client.end(sent);
      const got = await answer;
      const newline = got.indexOf(10);
      expect(got.subarray(0, newline).toString()).toBe(sha(sent));
      expect(sha(got.subarray(newline + 1))).toBe(sha(reply));
    },
    60_000,
  );

  it('keeps many connections apart', async () => {
    const target = await farEnd('tcp', Buffer.from('done'));
    const port = await freePort();
    const relay = spawn('perl', ['-e', await PROGRAM, '--', '127.0.0.1', String(port), target], {
      env: { ...process.env, ...env },
    });
    started.push(relay);
    await (await connectWhenListening(port)).end();
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const body = randomBytes(200_000);
        const s = await connectWhenListening(port);
        const answer = readAll(s);
        s.end(body);
        return { body, got: (await answer).toString() };
      }),
    );
    for (const r of results) expect(r.got).toBe(`${sha(r.body)}\ndone`);
  }, 60_000);
});
