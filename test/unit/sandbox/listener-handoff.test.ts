import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  perlProgram,
  startListenerHandoff,
  type ListenerHandoff,
} from '../../../src-main/services/sandbox/listener-handoff';
import { connectWhenListening, freePort, readAll } from '../../support/local-sockets';

/**
 * The egress listener's hand-off (listener-handoff.ts with resources/sandbox/handoff.pl and
 * fd-pass.pl) under this machine's perl, without containers: relay.pl offering its listener for
 * real, and hostile offers made with the same SCM_RIGHTS calls a process in a sandbox could make.
 * Containers: test/integration/sandbox/egress-handoff.test.ts.
 */

const RESOURCES = join(__dirname, '../../../resources');
const started: ChildProcess[] = [];
const servers: Server[] = [];
const handoffs: ListenerHandoff[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cospec-handoff-'));
});

afterEach(async () => {
  for (const p of started.splice(0)) p.kill('SIGKILL');
  for (const s of servers.splice(0)) s.close();
  for (const h of handoffs.splice(0)) h.close();
  await rm(dir, { recursive: true, force: true });
});

/** A hostile offerer's script, with the same SCM_RIGHTS calls the relay has (fd-pass.pl). */
async function program(script: string): Promise<string> {
  return `${await readFile(join(RESOURCES, 'sandbox/fd-pass.pl'), 'utf8')}\n${script}`;
}

/** Runs a perl program (fd-pass.pl in front); resolves with its exit code and output. */
function perl(text: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const p = spawn('perl', ['-e', text, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(p);
  let out = '';
  p.stdout.on('data', (c: Buffer) => (out += c.toString()));
  p.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => p.on('exit', (code) => resolve({ code, out })));
}

async function broker(port: number, host = '127.0.0.1') {
  const refused: string[] = [];
  const handoff = await startListenerHandoff({
    resourcesDir: RESOURCES,
    socketPath: join(dir, 'handoff.sock'),
    host,
    port,
    onRefused: (reason) => refused.push(reason),
  });
  if (!handoff) throw new Error('the broker did not start');
  handoffs.push(handoff);
  return { handoff, refused, socketPath: join(dir, 'handoff.sock') };
}

/** A far end for the relay when it relays: answers every connection with `reply`. */
async function farEnd(reply: string): Promise<string> {
  const server = createServer((s) => s.end(reply));
  servers.push(server);
  const path = join(dir, 'proxy.sock');
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return `unix:${path}`;
}

async function get(port: number): Promise<string> {
  const s: Socket = await connectWhenListening(port);
  const answer = readAll(s);
  s.end();
  return (await answer).toString();
}

describe('the egress listener hand-off', () => {
  it('hands relay.pl’s listener to the app, which then accepts its connections, and the relay exits', async () => {
    const port = await freePort();
    const { handoff, socketPath } = await broker(port);
    const relay = perl(await perlProgram(RESOURCES, 'relay.pl'), [
      '--hand-off',
      `unix:${socketPath}`,
      '127.0.0.1',
      String(port),
      await farEnd('relayed'),
    ]);
    const listener = await handoff.listener;
    expect(listener?.address()).toMatchObject({ address: '127.0.0.1', port });
    servers.push(listener!);
    listener!.on('connection', (s: Socket) => s.end('from the app'));
    expect((await relay).code).toBe(0);
    expect(await get(port)).toBe('from the app');
  });

  it('leaves relay.pl relaying when the app refuses the offer (another port than told)', async () => {
    const port = await freePort();
    const { handoff, refused, socketPath } = await broker(port + 1);
    const target = await farEnd('relayed');
    const relayText = await perlProgram(RESOURCES, 'relay.pl');
    void perl(relayText, ['--hand-off', `unix:${socketPath}`, '127.0.0.1', String(port), target]);
    expect(await handoff.listener).toBeUndefined();
    expect(refused.join()).toMatch(/another address/);
    expect(await get(port)).toBe('relayed');
  });

  it('with --detach, relay.pl returns once the port works, relayed by a child', async () => {
    const port = await freePort();
    const relayText = await perlProgram(RESOURCES, 'relay.pl');
    // A process group of its own, so the child it leaves is stopped with it.
    const p = spawn('perl', ['-e', relayText, '--', '--detach', '127.0.0.1', String(port), await farEnd('relayed')], {
      stdio: 'ignore',
      detached: true,
    });
    try {
      expect(await new Promise((resolve) => p.on('exit', resolve))).toBe(0);
      expect(await get(port)).toBe('relayed');
    } finally {
      process.kill(-p.pid!, 'SIGKILL');
    }
  });

  describe('hostile offers are refused and reach the app as nothing', () => {
    // Each offerer connects to the broker, sends what a sandboxed process could, and prints the answer.
    const offer = (setup: string) =>
      program(`
        use IO::Socket::INET; use IO::Socket::UNIX; use Socket;
        my ($path, $port) = @ARGV;
        my $u = IO::Socket::UNIX->new(Peer => $path, Type => SOCK_STREAM) or die "connect: $!";
        ${setup}
        my $a = ''; sysread($u, $a, 1); print "answer=$a\\n";
      `);
    const cases: Array<[string, string, RegExp]> = [
      [
        'a connected socket instead of a listener',
        `my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 1, ReuseAddr => 1);
         my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port) or die;
         send_fd(fileno $u, 'L', fileno $c);`,
        /not a listening TCP socket/,
      ],
      ['a pipe', `pipe(my $r, my $w); send_fd(fileno $u, 'L', fileno $r);`, /not a listening TCP socket/],
      [
        'a listener on another port',
        `my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die;
         send_fd(fileno $u, 'L', fileno $l);`,
        /another address/,
      ],
      [
        'the right port on every interface instead of loopback',
        `my $l = IO::Socket::INET->new(LocalAddr => '0.0.0.0', LocalPort => $port, Listen => 1, ReuseAddr => 1) or die;
         send_fd(fileno $u, 'L', fileno $l);`,
        /another address/,
      ],
      [
        'two descriptors at once',
        `my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Listen => 1, ReuseAddr => 1) or die;
         my $fd = fileno $l;
         my $payload = 'L'; my $control = pack('QiiII', 24, SOL_SOCKET, 1, $fd, $fd);
         my $iov = pack('QQ', fd_pass_address($payload), 1);
         my $msg = pack('QLx4QQQQlx4', 0, 0, fd_pass_address($iov), 1, fd_pass_address($control), length $control, 0);
         syscall(46, fileno $u, $msg, 0) >= 0 or die "sendmsg: $!";`,
        /exactly one descriptor/,
      ],
      ['bytes without a descriptor', `syswrite($u, 'L');`, /exactly one descriptor/],
      ['a flood of bytes', `syswrite($u, 'L' x 100000);`, /exactly one descriptor/],
    ];
    it.each(cases)('%s', async (_name, setup, reason) => {
      const port = await freePort();
      const { handoff, refused, socketPath } = await broker(port);
      const result = await perl(await offer(setup), [socketPath, String(port)]);
      expect(result.out).toContain('answer=0');
      expect(await handoff.listener).toBeUndefined();
      expect(refused.join()).toMatch(reason);
    });

    it('takes one offer only: a second offerer finds no socket', async () => {
      const port = await freePort();
      const { handoff, socketPath } = await broker(port);
      await perl(await offer(`syswrite($u, 'L');`), [socketPath, String(port)]);
      expect(await handoff.listener).toBeUndefined();
      const second = await perl(await offer(`send_fd(fileno $u, 'L', 0);`), [socketPath, String(port)]);
      expect(second.out).toMatch(/connect: (No such file|Connection refused)/);
    });
  });

  it('is unavailable, not failed, where perl cannot run', async () => {
    const reasons: string[] = [];
    const handoff = await startListenerHandoff({
      resourcesDir: RESOURCES,
      socketPath: join(dir, 'handoff.sock'),
      host: '127.0.0.1',
      port: 3128,
      perl: join(dir, 'no-perl-here'),
      onUnavailable: (reason) => reasons.push(reason),
    });
    expect(handoff).toBeUndefined();
    expect(reasons.join()).toMatch(/ENOENT/);
  });

  it('gives up waiting when closed', async () => {
    const { handoff } = await broker(await freePort());
    handoff.close();
    expect(await handoff.listener).toBeUndefined();
  });
});
