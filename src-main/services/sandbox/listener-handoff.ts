import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Server } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The egress listener's hand-off: the relay inside a run's network namespace offers its listening
 * socket (127.0.0.1:3128 in the agent's container, or the relay container's port 3128), and the
 * app's proxy then accepts the agent's connections itself, a hop fewer for every byte than relaying
 * them through relay.pl and a unix socket (bench/sandbox.ts has the figures).
 *
 * Why this way round: a socket handed into a container could be turned against the host (an
 * upstream TCP socket can be disconnected and dialled anywhere from the host's network), but a
 * listening socket handed out only ever yields connections made inside the sandbox's own network
 * namespace, which the proxy judges as it judges every other. Creating the socket needs no
 * privilege: the relay is already inside, so this works with rootless engines and Docker alike,
 * wherever a unix socket mounted into the container connects (the engine on this machine's kernel).
 *
 * The descriptor crosses over SCM_RIGHTS (resources/sandbox/fd-pass.pl). Node receives one only on
 * a child process's IPC channel, so a small perl broker (resources/sandbox/handoff.pl) takes the
 * relay's offer, checks it and passes it on as a "net.Server" handle; this module checks the
 * server it becomes again before anything uses it.
 */

/** A perl program of the sandbox resources, with fd-pass.pl in front. */
export async function perlProgram(resourcesDir: string, script: 'relay.pl' | 'handoff.pl'): Promise<string> {
  const [fdPass, body] = await Promise.all([
    readFile(join(resourcesDir, 'sandbox/fd-pass.pl'), 'utf8'),
    readFile(join(resourcesDir, 'sandbox', script), 'utf8'),
  ]);
  return `${fdPass}\n${body}`;
}

export interface ListenerHandoffOptions {
  resourcesDir: string;
  /** Where the broker listens for the relay's offer (mounted into the relay's container). */
  socketPath: string;
  /** The address the offered socket must be listening on, as the relay was told. */
  host: string;
  port: number;
  /** The perl to run the broker with. */
  perl?: string;
  /** How long the broker may take to start listening before the hand-off is given up. */
  startTimeoutMs?: number;
  /** An offer came and was refused (not what the relay was told to listen on, or malformed). */
  onRefused?(reason: string): void;
  /** The broker could not start here: the relay is then not told to offer. */
  onUnavailable?(reason: string): void;
}

export interface ListenerHandoff {
  /**
   * The relay's listening socket once the app took it; undefined if it never came or was refused.
   * It accepts from the moment this resolves: give it its connection handler in the continuation
   * (no connection event can come before that runs).
   */
  readonly listener: Promise<Server | undefined>;
  /** Stops waiting (kills the broker). A listener already taken belongs to whoever took it. */
  close(): void;
}

const brokerMessage = z.discriminatedUnion('cospec', [
  z.object({ cospec: z.literal('listening') }).strict(),
  z.object({ cospec: z.literal('egress-listener') }).strict(),
  z.object({ cospec: z.literal('refused'), reason: z.string().max(500) }).strict(),
]);

/**
 * Starts the broker and resolves once it listens at `socketPath`, or undefined when it cannot
 * (no perl, another architecture, a failure): the relay is then simply not told to offer.
 */
export async function startListenerHandoff(opts: ListenerHandoffOptions): Promise<ListenerHandoff | undefined> {
  const program = await perlProgram(opts.resourcesDir, 'handoff.pl');
  const child = spawn(opts.perl ?? 'perl', ['-e', program, '--', opts.socketPath, opts.host, String(opts.port)], {
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    if (stderr.length < 2000) stderr += chunk;
  });
  let settled = false;
  let resolveListener: (server: Server | undefined) => void = () => undefined;
  const listener = new Promise<Server | undefined>((resolve) => (resolveListener = resolve));
  const settle = (server: Server | undefined) => {
    settled = true;
    resolveListener(server);
  };
  let listening: (ok: boolean) => void = () => undefined;
  const started = new Promise<boolean>((resolve) => (listening = resolve));

  const refuse = (reason: string) => {
    opts.onRefused?.(reason);
    settle(undefined);
  };
  child.on('message', (raw: unknown, handle: unknown) => {
    const parsed = brokerMessage.safeParse(raw);
    // One listener, once: anything else that carries a handle is closed unused.
    if (!parsed.success || (settled && handle instanceof Server)) {
      if (handle instanceof Server) handle.close();
      return;
    }
    const message = parsed.data;
    if (message.cospec === 'listening') return listening(true);
    if (message.cospec === 'refused') return refuse(`the relay's offer was refused: ${message.reason}`);
    const address = handle instanceof Server ? handle.address() : null;
    if (
      !(handle instanceof Server) ||
      typeof address !== 'object' ||
      address === null ||
      address.address !== opts.host ||
      address.port !== opts.port
    ) {
      if (handle instanceof Server) handle.close();
      if (child.connected) child.send({ cospec: 'refused' });
      return refuse('the offered socket is not the one the relay was told to listen on');
    }
    settle(handle);
    if (child.connected) child.send({ cospec: 'taken' });
  });
  let failure = 'it did not start listening within its time';
  const gone = () => {
    listening(false);
    settle(undefined);
  };
  child.on('error', (error) => {
    failure = error.message;
    gone();
  });
  child.on('exit', (code, signal) => {
    failure = `it exited (${signal ?? code ?? 'unknown'})`;
    gone();
  });
  const timer = setTimeout(() => listening(false), opts.startTimeoutMs ?? 5000);
  const ok = await started;
  clearTimeout(timer);
  const close = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    settle(undefined);
  };
  if (!ok) {
    close();
    opts.onUnavailable?.(stderr.trim().split('\n')[0] || failure);
    return undefined;
  }
  return { listener, close };
}
