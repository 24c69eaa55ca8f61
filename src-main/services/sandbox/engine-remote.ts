import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { CospecError } from '../../../src-shared/ipc/errors';
import { selectIdentity, SshEngineConnection, type SshTarget } from './engine-remote-ssh';

/**
 * dockerode options for a remote engine named by a DOCKER_HOST-style URL, built from the `env`
 * given (docker-modem would read process.env itself, which is wrong when settings name the engine):
 * - tcp://host[:port] with TLS (DOCKER_TLS_VERIFY=1, port 2376 or DOCKER_CERT_PATH): client
 *   certificate and CA from DOCKER_CERT_PATH (default ~/.docker), server certificate verified;
 * - ssh://[user@]host[:port][/socket]: one ssh connection for all requests (engine-remote-ssh.ts),
 *   host key checked against known_hosts.
 * Failures that are the user's to fix (missing files, unknown host key, rejected certificate,
 * nothing listening) surface as CospecError('ENGINE_UNAVAILABLE') saying what to do.
 */

export type RemoteTarget = { kind: 'tcp'; host: string; port: number; tls: boolean } | ({ kind: 'ssh' } & SshTarget);

export interface RemoteEngineOptions {
  /** The URL as shown to users (no secrets in it). */
  endpoint: string;
  /** For `new Docker({ ...options, timeout })`; carries an http(s) agent docker-modem uses as is. */
  options: Docker.DockerOptions;
  /** Ends the ssh connection (and any open streams on it); a no-op for tcp. Call when the engine is dropped. */
  close(): Promise<void>;
}

function invalid(value: string, why: string): CospecError {
  return new CospecError(
    'ENGINE_UNAVAILABLE',
    `The engine address ${value} is not usable: ${why}. Expected tcp://host:port or ssh://user@host[:port][/path/to/engine.sock].`,
  );
}

function wantsTls(port: string, env: NodeJS.ProcessEnv): boolean {
  const verify = env.DOCKER_TLS_VERIFY;
  return (verify !== undefined && verify !== '' && verify !== '0') || port === '2376' || Boolean(env.DOCKER_CERT_PATH);
}

/** Parses a DOCKER_HOST-style tcp:// or ssh:// URL; no I/O. */
export function parseRemoteHost(value: string, env: NodeJS.ProcessEnv): RemoteTarget {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(value, 'it is not a URL');
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw invalid(value, 'it names no host');
  if (url.protocol === 'tcp:') {
    if (url.pathname && url.pathname !== '/') throw invalid(value, 'a tcp:// address takes no path');
    const tls = wantsTls(url.port, env);
    return { kind: 'tcp', host, port: url.port ? Number(url.port) : tls ? 2376 : 2375, tls };
  }
  if (url.protocol === 'ssh:') {
    if (url.password) throw invalid(value, 'passwords in the URL are not supported (use an ssh key or ssh-agent)');
    const socketPath = url.pathname && url.pathname !== '/' ? decodeURIComponent(url.pathname) : undefined;
    const username = decodeURIComponent(url.username) || env.USER || env.LOGNAME || userInfo().username;
    return {
      kind: 'ssh',
      host,
      port: url.port ? Number(url.port) : 22,
      username,
      ...(socketPath ? { socketPath } : {}),
    };
  }
  throw invalid(value, `the scheme ${url.protocol.replace(/:$/, '')}:// is not one of tcp, ssh`);
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || env.USERPROFILE || homedir();
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker), each named when missing. */
export function readTlsFiles(env: NodeJS.ProcessEnv): { dir: string; ca: Buffer; cert: Buffer; key: Buffer } {
  const dir = env.DOCKER_CERT_PATH || join(homeOf(env), '.docker');
  const read = (name: string, what: string): Buffer => {
    const path = join(dir, name);
    if (!existsSync(path)) {
      throw new CospecError(
        'ENGINE_UNAVAILABLE',
        `TLS to the engine needs ${what} at ${path}, which does not exist. Copy ca.pem, cert.pem and key.pem from the engine's administrator into ${dir} (or point DOCKER_CERT_PATH at the folder that has them).`,
      );
    }
    return readFileSync(path);
  };
  return {
    dir,
    ca: read('ca.pem', 'the CA certificate (ca.pem)'),
    cert: read('cert.pem', 'the client certificate (cert.pem)'),
    key: read('key.pem', 'the client key (key.pem)'),
  };
}

/** Turns socket and TLS errors into messages that say which side is wrong and what to check. */
export function explainTcpError(
  error: unknown,
  endpoint: string,
  certDir: string | undefined,
  receivedNothing = false,
): Error {
  if (!(error instanceof Error) || error instanceof CospecError)
    return error instanceof Error ? error : new Error(String(error));
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const say = (message: string) => new CospecError('ENGINE_UNAVAILABLE', message, `${code} ${error.message}`.trim());
  if (code === 'ECONNREFUSED')
    return say(
      `Nothing listens at ${endpoint} (connection refused): is the engine running there with its TCP port open?`,
    );
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return say(`The engine host in ${endpoint} does not resolve.`);
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
    return say(`The engine host in ${endpoint} is unreachable from here.`);
  if (/CERT_HAS_EXPIRED/.test(code)) return say(`The engine's TLS certificate at ${endpoint} has expired.`);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return say(
      `The engine's TLS certificate is not issued for the host in ${endpoint}; use the name the certificate was made for.`,
    );
  if (/SELF_SIGNED|UNABLE_TO_VERIFY_LEAF|UNABLE_TO_GET_ISSUER|CERT_SIGNATURE_FAILURE|CERT_UNTRUSTED/.test(code)) {
    return say(
      `The engine at ${endpoint} presented a TLS certificate that the CA in ${certDir}/ca.pem did not sign: wrong ca.pem, or not the engine you meant.`,
    );
  }
  if (
    /ALERT_(CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|DECRYPT_ERROR|HANDSHAKE_FAILURE|ACCESS_DENIED)/.test(
      code,
    )
  ) {
    return say(
      `The engine at ${endpoint} refused our client certificate (${certDir}/cert.pem): it must be signed by the CA the engine trusts (dockerd --tlscacert).`,
    );
  }
  // A TLS engine that rejects the client certificate often just resets the connection (TLS 1.3
  // checks it after the client's handshake is done), before a single byte of answer.
  if (certDir && receivedNothing && (code === 'ECONNRESET' || code === 'EPIPE')) {
    return say(
      `The engine at ${endpoint} closed the connection before answering, which usually means it refused our client certificate (${certDir}/cert.pem): it must be signed by the CA the engine trusts (dockerd --tlscacert).`,
    );
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS'))
    return say(`TLS with the engine at ${endpoint} failed: ${error.message}`);
  return error;
}

/**
 * Wraps an agent's sockets so their errors reach the request (and dockerode's caller) explained.
 * Replacing the emitted error keeps every other listener and Node's own handling unchanged.
 */
function explainingAgent<A extends http.Agent>(
  agent: A,
  explain: (error: unknown, receivedNothing: boolean) => Error,
): A {
  const create = agent.createConnection.bind(agent) as (
    options: object,
    callback?: (err: Error | null, s: Duplex) => void,
  ) => Duplex | null | undefined;
  agent.createConnection = ((options: object, callback?: (err: Error | null, s: Duplex) => void) => {
    const socket = create(options, callback);
    if (socket) {
      // Whether any answer arrived, counted where data enters the stream (a 'data' listener would start the flow).
      let received = 0;
      const push = socket.push.bind(socket);
      socket.push = (chunk: unknown, encoding?: BufferEncoding) => {
        if (chunk) received += 1;
        return push(chunk, encoding);
      };
      const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
      socket.emit = ((event: string | symbol, ...args: unknown[]) => {
        if (event === 'error') return emit('error', explain(args[0], received === 0));
        // The peer hung up before answering at all: Node would report a bare "socket hang up".
        if (event === 'end' && received === 0) {
          socket.destroy(explain(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), true));
          return true;
        }
        return emit(event, ...args);
      }) as typeof socket.emit;
    }
    return socket;
  }) as typeof agent.createConnection;
  return agent;
}

type OptionsWithAgent = Docker.DockerOptions & { agent: http.Agent };

/** dockerode options for tcp:// (TLS or, on loopback only, plain) and ssh:// engines. */
export async function remoteEngineOptions(value: string, env: NodeJS.ProcessEnv): Promise<RemoteEngineOptions> {
  const target = parseRemoteHost(value, env);
  const home = homeOf(env);
  // TLS files are read fresh and other modem defaults cleared: docker-modem merges settings from process.env.
  const cleared = { ca: undefined, cert: undefined, key: undefined, sshOptions: undefined, username: undefined };

  if (target.kind === 'tcp') {
    const hostPart = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
    const endpoint = `tcp://${hostPart}:${target.port}`;
    if (!target.tls) {
      if (!isLoopback(target.host) && env.COSPEC_ALLOW_PLAIN_TCP !== '1') {
        throw new CospecError(
          'ENGINE_UNAVAILABLE',
          `${endpoint} would reach the engine unencrypted and unauthenticated, which gives anyone on the network root on that host. Use TLS (DOCKER_TLS_VERIFY=1 with DOCKER_CERT_PATH) or ssh://; set COSPEC_ALLOW_PLAIN_TCP=1 only on a network you trust.`,
        );
      }
      const agent = explainingAgent(new http.Agent(), (error) => explainTcpError(error, endpoint, undefined));
      const options: OptionsWithAgent = { ...cleared, protocol: 'http', host: target.host, port: target.port, agent };
      return { endpoint, options, close: async () => agent.destroy() };
    }
    const files = readTlsFiles(env);
    const agent = explainingAgent(
      new https.Agent({ ca: files.ca, cert: files.cert, key: files.key }),
      (error, nothing) => explainTcpError(error, endpoint, files.dir, nothing),
    );
    const options: OptionsWithAgent = {
      ...cleared,
      protocol: 'https',
      host: target.host,
      port: target.port,
      ca: files.ca,
      cert: files.cert,
      key: files.key,
      agent,
    };
    return { endpoint, options, close: async () => agent.destroy() };
  }

  const identity = selectIdentity(env, home);
  const knownHosts = env.COSPEC_SSH_KNOWN_HOSTS || join(home, '.ssh', 'known_hosts');
  const connection = new SshEngineConnection(target, identity, knownHosts, home);
  const hostPart = isIP(target.host) === 6 ? `[${target.host}]` : target.host;
  const endpoint = `ssh://${target.username}@${hostPart}${target.port === 22 ? '' : `:${target.port}`}${target.socketPath ?? ''}`;
  // The host and port only fill the Host header: every request travels on a channel of the connection.
  const options: OptionsWithAgent = {
    ...cleared,
    protocol: 'http',
    host: 'localhost',
    port: 80,
    agent: connection.agent,
  };
  return { endpoint, options, close: () => connection.close() };
}
