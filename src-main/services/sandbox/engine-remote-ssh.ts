import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2, { type Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import { CospecError } from '../../../src-shared/ipc/errors';
import {
  fingerprint,
  hostKeyAlgorithmsFor,
  keysForHost,
  keyTypeOf,
  knownHostName,
  verifyHostKey,
  type HostKeyVerdict,
} from './ssh-known-hosts';

/**
 * The engine API over ONE ssh connection (docker-modem's own ssh mode dials a new connection per
 * request, runs only `docker system dial-stdio` and checks no host key). Every HTTP request gets a
 * channel on that connection: a forwarded unix socket when the URL names one (Podman's remote
 * scheme, ssh://user@host/run/podman/podman.sock), else `docker system dial-stdio` (Docker's).
 * Hijacked exec/attach streams are just long-lived channels, so they work the same way.
 */

export interface SshTarget {
  host: string;
  port: number;
  username: string;
  /** The engine's unix socket on the remote host; absent: `docker system dial-stdio`. */
  socketPath?: string;
}

export interface SshIdentity {
  /** The ssh-agent socket (SSH_AUTH_SOCK). */
  agent?: string;
  /** A private key file to offer (after the agent's keys, when there is an agent). */
  keyPath?: string;
}

// ssh2 is CommonJS: Node's ESM loader finds no named exports in it, the default import works everywhere.
const { Client: SshClient, utils } = ssh2;

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
/** A connection with no open channel for this long is closed; the next request reconnects. */
const IDLE_CLOSE_MS = 30_000;
/** SSH_OPEN_ADMINISTRATIVELY_PROHIBITED (RFC 4254 section 5.1): how sshd refuses a session past MaxSessions. */
const SSH_OPEN_ADMINISTRATIVELY_PROHIBITED = 1;

function display(path: string, home: string): string {
  return path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
}

/** Which credentials to use: COSPEC_SSH_IDENTITY alone, else the agent and/or the first default key file. */
export function selectIdentity(env: NodeJS.ProcessEnv, home: string): SshIdentity {
  if (env.COSPEC_SSH_IDENTITY) {
    if (!existsSync(env.COSPEC_SSH_IDENTITY)) {
      throw new CospecError(
        'ENGINE_UNAVAILABLE',
        `COSPEC_SSH_IDENTITY points at ${env.COSPEC_SSH_IDENTITY}, which does not exist.`,
      );
    }
    return { keyPath: env.COSPEC_SSH_IDENTITY };
  }
  const keyPath = DEFAULT_KEYS.map((name) => join(home, '.ssh', name)).find((path) => existsSync(path));
  if (env.SSH_AUTH_SOCK) return keyPath ? { agent: env.SSH_AUTH_SOCK, keyPath } : { agent: env.SSH_AUTH_SOCK };
  if (keyPath) return { keyPath };
  throw new CospecError(
    'ENGINE_UNAVAILABLE',
    `No SSH credentials for the remote engine: SSH_AUTH_SOCK is not set and none of ${DEFAULT_KEYS.map((k) => `~/.ssh/${k}`).join(', ')} exists. ` +
      'Create a key with `ssh-keygen -t ed25519`, add the .pub file to ~/.ssh/authorized_keys on the engine host, or set COSPEC_SSH_IDENTITY to a key file.',
  );
}

/**
 * Reads a private key; an encrypted one is refused with what to do (we never ask for passphrases).
 * With an agent present an unusable default key is skipped (undefined), as the agent may hold it.
 */
export function loadPrivateKey(path: string, home: string, agentPresent: boolean): Buffer | undefined {
  const data = readFileSync(path);
  const parsed = utils.parseKey(data);
  if (!(parsed instanceof Error)) return data;
  if (agentPresent) return undefined;
  if (/encrypted|passphrase/i.test(parsed.message)) {
    throw new CospecError(
      'ENGINE_UNAVAILABLE',
      `The SSH key ${display(path, home)} is protected by a passphrase, which coSPEC does not ask for. Load it into ssh-agent (\`ssh-add ${display(path, home)}\`) and start coSPEC where SSH_AUTH_SOCK is set.`,
    );
  }
  throw new CospecError('ENGINE_UNAVAILABLE', `The SSH key ${display(path, home)} cannot be read: ${parsed.message}`);
}

/** What to run so the host's key becomes known, and the message for each way verification fails. */
export function hostKeyError(
  verdict: Exclude<HostKeyVerdict, { ok: true }>,
  target: SshTarget,
  presented: Buffer,
  knownHostsPath: string,
  home: string,
): CospecError {
  const name = knownHostName(target.host, target.port);
  const file = display(knownHostsPath, home);
  const keyscan = `ssh-keyscan ${target.port === 22 ? '' : `-p ${target.port} `}${target.host} >> ${file}`;
  const sshOnce = `ssh ${target.port === 22 ? '' : `-p ${target.port} `}${target.username}@${target.host} true`;
  const presentedText = `${keyTypeOf(presented)} ${fingerprint(presented)}`;
  if (verdict.reason === 'unknown') {
    return new CospecError(
      'ENGINE_UNAVAILABLE',
      `The SSH host key of ${name} is not in ${file}, so the engine host cannot be verified. It presented ${presentedText}; ` +
        `after checking that fingerprint with the host's administrator, run \`${keyscan}\` (or connect once with \`${sshOnce}\` and accept the key), then try again.`,
    );
  }
  if (verdict.reason === 'revoked') {
    return new CospecError(
      'ENGINE_UNAVAILABLE',
      `The SSH host key of ${name} (${presentedText}) is marked @revoked in ${file} (line ${verdict.line}); coSPEC will not connect.`,
    );
  }
  return new CospecError(
    'ENGINE_UNAVAILABLE',
    `The SSH host key of ${name} has CHANGED: it presented ${presentedText}, which does not match ${file} (line ${verdict.lines.join(', ')}). ` +
      `Someone may be intercepting the connection, or the host was reinstalled. If the administrator confirms the new key, run \`ssh-keygen -R '${name}' -f ${file}\` and then \`${keyscan}\`.`,
  );
}

function describeSocketError(error: NodeJS.ErrnoException, target: SshTarget): CospecError {
  const where = `ssh://${target.host}:${target.port}`;
  const why =
    error.code === 'ECONNREFUSED'
      ? 'connection refused: is sshd running there and the port right?'
      : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
        ? 'the host name does not resolve'
        : error.code === 'ETIMEDOUT' || error.code === 'EHOSTUNREACH' || error.code === 'ENETUNREACH'
          ? 'the host is unreachable from here'
          : error.message;
  return new CospecError('ENGINE_UNAVAILABLE', `Cannot reach the engine host at ${where}: ${why}`, error.message);
}

/**
 * Makes an ssh channel usable as an HTTP socket: Node's http client calls setTimeout (the engine
 * client's idle timeout), setNoDelay/setKeepAlive and ref/unref, which a channel lacks. The timeout
 * behaves like net.Socket's: 'timeout' after that long without traffic, nothing else.
 */
function asSocket(channel: ClientChannel): Duplex {
  type SocketLike = {
    setTimeout(ms: number, cb?: () => void): unknown;
    setNoDelay(): unknown;
    setKeepAlive(): unknown;
    ref(): unknown;
    unref(): unknown;
  };
  const socket = channel as unknown as ClientChannel & SocketLike;
  let timeoutMs = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = timeoutMs > 0 ? setTimeout(() => channel.emit('timeout'), timeoutMs) : undefined;
  };
  const push = channel.push.bind(channel);
  channel.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (timeoutMs > 0) arm();
    return push(chunk, encoding);
  };
  const write = channel.write.bind(channel) as (...args: unknown[]) => boolean;
  (channel as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
    if (timeoutMs > 0) arm();
    return write(...args);
  };
  socket.setTimeout = (ms: number, cb?: () => void) => {
    timeoutMs = ms;
    if (cb) channel.once('timeout', cb);
    arm();
    return socket;
  };
  socket.setNoDelay = () => socket;
  socket.setKeepAlive = () => socket;
  socket.ref = () => socket;
  socket.unref = () => socket;
  channel.once('close', () => clearTimeout(timer));
  return channel;
}

/** One ssh connection and the channels open on it. */
interface Link {
  client: Promise<Client>;
  /** Channels open or being opened (reserved before the await, so concurrent requests spread). */
  channels: number;
  dead: boolean;
  idleTimer?: NodeJS.Timeout;
  ended?: Promise<void>;
}

/**
 * Docker's scheme runs one `docker system dial-stdio` session per request, and sshd allows 10
 * sessions per connection (MaxSessions): past 8 at once a second connection takes the overflow.
 * Forwarded sockets (Podman's scheme) are not sessions, so they all share one connection.
 */
const EXEC_CHANNELS_PER_CONNECTION = 8;
/**
 * At most this many connections to one host; further requests wait for a free channel. Each new
 * connection is an unauthenticated one until its login is done, and sshd drops those at random
 * once 10 are pending (MaxStartups 10:30:100), so a burst of requests must not become a burst of logins.
 */
const MAX_CONNECTIONS = 4;
/** Logins that fail before the handshake (sshd dropped the connection, as MaxStartups does) are retried this often. */
const DIAL_ATTEMPTS = 3;
/** A session sshd turned away is asked for again this often, each time after a channel closed or a short wait. */
const SESSION_ATTEMPTS = 8;
const SESSION_RETRY_MS = 500;

/** A dial that failed before any byte of a request went out and may work when tried again. */
class TransientDialError extends CospecError {}

export class SshEngineConnection {
  /** HTTP agent for docker-modem: each request's "socket" is a channel on a shared connection. */
  readonly agent: http.Agent;
  private links: Link[] = [];
  private closed = false;
  private readonly perLink: number;
  /** Requests waiting for a channel while every connection is full. */
  private waiters: Array<() => void> = [];
  /** Logins run one at a time, so a burst of requests never opens a burst of connections. */
  private dialing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: SshTarget,
    private readonly identity: SshIdentity,
    private readonly knownHostsPath: string,
    private readonly home: string,
    private readonly maxConnections = MAX_CONNECTIONS,
  ) {
    this.perLink = target.socketPath ? Number.POSITIVE_INFINITY : EXEC_CHANNELS_PER_CONNECTION;
    this.agent = new http.Agent({ keepAlive: false });
    this.agent.createConnection = (_options, callback) => {
      this.openChannel().then(
        (channel) => callback?.(null, channel),
        (error: unknown) =>
          callback?.(error instanceof Error ? error : new Error(String(error)), undefined as unknown as Duplex),
      );
      return undefined;
    };
  }

  /**
   * A live connection with room for one more channel, reserved; a new one when none has room and
   * fewer than maxConnections exist; else waits until a channel closes.
   */
  private async reserve(): Promise<Link> {
    for (;;) {
      if (this.closed) throw new CospecError('ENGINE_UNAVAILABLE', 'The ssh connection to the engine was closed.');
      let link = this.links.find((l) => !l.dead && l.channels < this.perLink);
      if (!link && this.links.length < this.maxConnections) link = this.connect();
      if (link) {
        link.channels += 1;
        clearTimeout(link.idleTimer);
        return link;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private connect(): Link {
    const fresh: Link = {
      channels: 0,
      dead: false,
      client: Promise.resolve(undefined as unknown as Client),
    };
    const dialed = this.dialing.then(() => this.dialWithRetries());
    this.dialing = dialed.catch(() => undefined);
    fresh.client = dialed.then(
      (client) => {
        fresh.ended = new Promise((resolve) => client.once('close', () => resolve()));
        // A dropped connection is forgotten; the next request dials a new one.
        void fresh.ended.then(() => this.forget(fresh));
        if (this.closed) client.end();
        return client;
      },
      (error: unknown) => {
        this.forget(fresh);
        throw error;
      },
    );
    this.links.push(fresh);
    return fresh;
  }

  private async dialWithRetries(): Promise<Client> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await dialSsh(this.target, this.identity, this.knownHostsPath, this.home);
      } catch (error) {
        if (!(error instanceof TransientDialError) || attempt >= DIAL_ATTEMPTS || this.closed) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
  }

  /** Wakes the requests waiting for a channel (they look again; those that find none wait again). */
  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private forget(link: Link): void {
    link.dead = true;
    clearTimeout(link.idleTimer);
    this.links = this.links.filter((l) => l !== link);
    this.wake();
  }

  private release(link: Link): void {
    link.channels -= 1;
    this.wake();
    if (link.channels > 0 || link.dead) return;
    // Idle connections close after a while so nothing lingers; the next request reconnects.
    link.idleTimer = setTimeout(() => {
      this.forget(link);
      void link.client.then((client) => client.end());
    }, IDLE_CLOSE_MS);
    link.idleTimer.unref();
  }

  private async openOn(link: Link): Promise<ClientChannel> {
    try {
      const channel = await this.channelOn(await link.client);
      channel.once('close', () => this.release(link));
      return channel;
    } catch (error) {
      this.release(link);
      throw error;
    }
  }

  private async openChannel(): Promise<Duplex> {
    let reconnected = false;
    for (let attempt = 1; ; attempt += 1) {
      const link = await this.reserve();
      try {
        return asSocket(await this.openOn(link));
      } catch (error) {
        if (error instanceof CospecError) throw error;
        const reason = (error as { reason?: unknown }).reason;
        if (reason === undefined) {
          // The connection died without our noticing (laptop slept, NAT forgot it): one try on a fresh one.
          if (reconnected) throw error;
          reconnected = true;
          this.forget(link);
          void link.client.then((client) => client.end()).catch(() => undefined);
          continue;
        }
        // sshd said no to a session (Docker's scheme) although we counted a free one: it still holds
        // sessions whose `docker system dial-stdio` has not exited yet (sshd frees a session when its
        // process ends, which under load comes well after the channel closed). Nothing of the request
        // has been sent, so ask again once a channel closes or after a short wait.
        if (
          this.target.socketPath ||
          reason !== SSH_OPEN_ADMINISTRATIVELY_PROHIBITED ||
          attempt >= SESSION_ATTEMPTS ||
          link.dead
        )
          throw error;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, SESSION_RETRY_MS * attempt);
          this.waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
  }

  private channelOn(client: Client): Promise<ClientChannel> {
    const { target } = this;
    return new Promise((resolve, reject) => {
      const done = (error: Error | undefined, channel: ClientChannel) => {
        if (!error) return resolve(target.socketPath ? channel : watchDialStdio(channel, target));
        if (target.socketPath && /open failed|prohibited|connect failed/i.test(error.message)) {
          reject(
            new CospecError(
              'ENGINE_UNAVAILABLE',
              `The engine host ${target.host} could not open ${target.socketPath} for ${target.username}: is the engine running there (Podman: \`systemctl enable --now podman.socket\`, or \`podman system service\`), may that user open the socket, and does its sshd_config allow forwarding (neither AllowStreamLocalForwarding nor AllowTcpForwarding may be "no")?`,
              error.message,
            ),
          );
        } else reject(error);
      };
      if (target.socketPath) client.openssh_forwardOutStreamLocal(target.socketPath, done);
      else client.exec('docker system dial-stdio', done);
    });
  }

  /** How many ssh connections are open or being opened (for tests and diagnostics). */
  get connectionCount(): number {
    return this.links.length;
  }

  /** Ends the ssh connections (and open streams on them); later requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
    // Requests waiting for a channel look again and fail: the connection is closed.
    this.wake();
    const links = this.links;
    this.links = [];
    await Promise.all(
      links.map(async (link) => {
        clearTimeout(link.idleTimer);
        const client = await link.client.catch(() => undefined);
        if (!client) return;
        client.end();
        await link.ended;
      }),
    );
  }
}

/** Opens and authenticates one ssh connection, checking the host key against known_hosts. */
async function dialSsh(
  target: SshTarget,
  identity: SshIdentity,
  knownHostsPath: string,
  home: string,
): Promise<Client> {
  const knownHosts = existsSync(knownHostsPath) ? readFileSync(knownHostsPath, 'utf8') : '';
  const keys = keysForHost(knownHosts, target.host, target.port);
  const privateKey = identity.keyPath ? loadPrivateKey(identity.keyPath, home, Boolean(identity.agent)) : undefined;

  // Our own TCP socket, so "nothing listening" is told apart from ssh failures.
  const sock = net.connect({ host: target.host, port: target.port });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', (error: NodeJS.ErrnoException) => reject(describeSocketError(error, target)));
  });

  const client = new SshClient();
  // Errors after the handshake are followed by 'close'; a second handshake error must not crash.
  client.on('error', () => undefined);
  let rejected: CospecError | undefined;
  const algorithms = hostKeyAlgorithmsFor(keys);
  const config: ConnectConfig = {
    sock,
    username: target.username,
    ...(identity.agent ? { agent: identity.agent } : {}),
    ...(privateKey ? { privateKey } : {}),
    hostVerifier: (presented: Buffer) => {
      const verdict = verifyHostKey(keys, presented);
      if (!verdict.ok) rejected = hostKeyError(verdict, target, presented, knownHostsPath, home);
      return verdict.ok;
    },
    ...(algorithms
      ? { algorithms: { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } }
      : {}),
    // Notices a dropped connection under long-lived streams (the egress tunnel); then we reconnect.
    keepaliveInterval: 15_000,
    keepaliveCountMax: 3,
    readyTimeout: 20_000,
  };
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', (error: Error & { level?: string }) => {
      sock.destroy();
      if (rejected) reject(rejected);
      else if (error.level === 'client-authentication') {
        const tried = [
          identity.agent ? 'the keys in ssh-agent' : '',
          identity.keyPath ? display(identity.keyPath, home) : '',
        ]
          .filter(Boolean)
          .join(' and ');
        reject(
          new CospecError(
            'ENGINE_UNAVAILABLE',
            `The engine host ${target.host}:${target.port} refused SSH login as ${target.username} (tried ${tried}). Add your public key to ~${target.username}/.ssh/authorized_keys there, or set COSPEC_SSH_IDENTITY.`,
            error.message,
          ),
        );
      } else {
        // Dropped or stalled before the handshake: what sshd does past MaxStartups, or on a busy host.
        const Failure = /before handshake|waiting for handshake|ECONNRESET|EPIPE/.test(error.message)
          ? TransientDialError
          : CospecError;
        reject(
          new Failure(
            'ENGINE_UNAVAILABLE',
            `SSH connection to ${target.host}:${target.port} failed: ${error.message}`,
            error.message,
          ),
        );
      }
    });
    client.connect(config);
  });
  return client;
}

/**
 * `docker system dial-stdio` that fails (no docker CLI on the host, engine socket unreachable) says
 * so instead of "socket hang up": sshd may send the end of output before the exit status, so an
 * end with no byte of answer waits for the exit status (or the close) before the HTTP client sees it.
 */
function watchDialStdio(channel: ClientChannel, target: SshTarget): ClientChannel {
  let stderr = '';
  let received = false;
  let exited = false;
  let heldEnd = false;
  channel.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 2000) stderr += chunk.toString('utf8');
  });
  const push = channel.push.bind(channel);
  channel.push = (chunk: unknown, encoding?: BufferEncoding) => {
    if (chunk) received = true;
    return push(chunk, encoding);
  };
  const emit = channel.emit.bind(channel) as (event: string | symbol, ...args: unknown[]) => boolean;
  const release = () => {
    if (!heldEnd) return;
    heldEnd = false;
    emit('end');
  };
  channel.emit = ((event: string | symbol, ...args: unknown[]) => {
    if (event === 'end' && !received && !exited) {
      heldEnd = true;
      return true;
    }
    if (event === 'close') release();
    return emit(event, ...args);
  }) as typeof channel.emit;
  channel.once('exit', (code: number | null) => {
    exited = true;
    if (code === 0 || code === null) return release();
    heldEnd = false;
    // ssh2 types destroy() without the error argument every stream accepts.
    (channel as unknown as Duplex).destroy(
      new CospecError(
        'ENGINE_UNAVAILABLE',
        `\`docker system dial-stdio\` failed on ${target.host} (exit ${code}): ${stderr.trim() || 'no output'}. A Docker host needs the docker CLI; for Podman put the socket path in the URL, e.g. ssh://${target.username}@${target.host}/run/podman/podman.sock.`,
      ),
    );
  });
  return channel;
}
