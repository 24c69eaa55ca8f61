import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import forge from 'node-forge';
import { signCaAndLeaf } from '../../../src-main/services/gateway/certificates';

/**
 * Remote engines on this machine, for the remote-engine suites: the local Podman socket reached
 * (1) through a real OpenSSH sshd on 127.0.0.1 (own host key, own authorized_keys, key login only),
 * Podman's remote scheme ssh://root@127.0.0.1:PORT/run/cospec/podman.sock, and (2) through a TLS
 * listener that demands a client certificate (like dockerd --tlsverify) and pipes bytes to the
 * socket. Both are plain byte pipes, so HTTP upgrades (hijacked exec/attach) pass through.
 * Each returns the DOCKER_HOST and an env that names only throw-away files (HOME, keys, certs).
 */

export const ENGINE_SOCKET = process.env.COSPEC_CONTAINER_SOCKET ?? '/run/cospec/podman.sock';
const SSHD = '/usr/sbin/sshd';

export interface RemoteEngineFixture {
  dockerHost: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/** Why these suites cannot run here, or undefined. */
export function remoteEngineSkipReason(kind: 'ssh' | 'tls'): string | undefined {
  if (!existsSync(ENGINE_SOCKET)) return `no engine socket at ${ENGINE_SOCKET}; run \`bash scripts/setup/podman.sh\``;
  if (kind === 'ssh' && !existsSync(SSHD)) return `${SSHD} is missing; run \`bash scripts/setup/sshd.sh\``;
  if (kind === 'ssh' && process.getuid?.() !== 0)
    return 'the ssh harness logs in as root to reach the root-only Podman socket; run the suite as root';
  return undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something on 127.0.0.1:port speaks SSH, rejects when the process exits first. */
async function waitForBanner(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    const banner = await new Promise<string>((resolve) => {
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.once('data', (data) => {
        sock.destroy();
        resolve(data.toString('latin1'));
      });
      sock.once('error', () => resolve(''));
    });
    if (banner.startsWith('SSH-')) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function keygen(path: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
}

/** An sshd of our own; the client key, known_hosts and HOME it hands back live in its temp dir. */
export interface SshEngineFixture extends RemoteEngineFixture {
  dir: string;
  /** The known_hosts line for this sshd. */
  hostKeyLine: string;
  /** The same engine by Docker's scheme (no socket path: `docker system dial-stdio` on the host). */
  dockerStyleHost: string;
  /** sshd's own log (LogLevel VERBOSE), for failure messages. */
  log(): string;
  /** Kills the per-connection sshd processes: every client connection drops, as when a network goes away. */
  dropConnections(): Promise<void>;
}

export async function startSshEngine(): Promise<SshEngineFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'cospec-sshd-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  keygen(join(dir, 'host_key'), 'cospec-test-host');
  keygen(join(home, '.ssh', 'id_ed25519'), 'cospec-test-client');
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(home, '.ssh', 'id_ed25519.pub')));
  await chmod(join(dir, 'authorized_keys'), 0o600);
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // The temp dir sits under world-writable /tmp, which StrictModes would refuse.
    'StrictModes no',
    'UsePAM no',
    'AllowStreamLocalForwarding yes',
    // OpenSSH lets streamlocal forwarding through only when local TCP forwarding is allowed too.
    'AllowTcpForwarding local',
    'X11Forwarding no',
    'LogLevel VERBOSE',
    // Docker's scheme (ssh://root@host:port, no path) runs `docker system dial-stdio`, which finds the engine here.
    `SetEnv DOCKER_HOST=unix://${ENGINE_SOCKET}`,
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), `${config}\n`);

  let log = '';
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    if (log.length < 20_000) log += chunk.toString('utf8');
  });
  await waitForBanner(port, child, () => log);

  const hostPub = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim().split(/\s+/);
  const hostKeyLine = `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}`;
  await writeFile(join(home, '.ssh', 'known_hosts'), `${hostKeyLine}\n`);

  const dockerHost = `ssh://root@127.0.0.1:${port}${ENGINE_SOCKET}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    USER: 'root',
    DOCKER_HOST: dockerHost,
    COSPEC_SSH_IDENTITY: join(home, '.ssh', 'id_ed25519'),
    COSPEC_SSH_KNOWN_HOSTS: join(home, '.ssh', 'known_hosts'),
  };
  return {
    dockerHost,
    env,
    dir,
    hostKeyLine,
    dockerStyleHost: `ssh://root@127.0.0.1:${port}`,
    log: () => log,
    async dropConnections() {
      const children = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean);
      for (const pid of children) process.kill(Number(pid), 'SIGKILL');
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function rsaKeyPair(): forge.pki.rsa.KeyPair {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  ) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}

/** A client certificate (extKeyUsage clientAuth) signed by the given CA, as cert.pem/key.pem text. */
function signClient(caCertPem: string, caKey: forge.pki.rsa.PrivateKey): { certPem: string; keyPem: string } {
  const keys = rsaKeyPair();
  const ca = forge.pki.certificateFromPem(caCertPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `0${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 60 * 60 * 1000);
  cert.setSubject([{ name: 'commonName', value: 'cospec-test-client' }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: forge.pki.privateKeyToPem(keys.privateKey) };
}

function newCa(name: string, hostname: string) {
  const caKeys = rsaKeyPair();
  const signed = signCaAndLeaf({
    caKeys,
    leafKeys: rsaKeyPair(),
    caSubject: [{ name: 'commonName', value: name }],
    hostname,
    skewMs: 60_000,
    caDays: 1,
    leafDays: 1,
  });
  return { ...signed, caKey: caKeys.privateKey };
}

async function writeCertDir(dir: string, caPem: string, client: { certPem: string; keyPem: string }): Promise<void> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await writeFile(join(dir, 'ca.pem'), caPem);
  await writeFile(join(dir, 'cert.pem'), client.certPem);
  await writeFile(join(dir, 'key.pem'), client.keyPem, { mode: 0o600 });
}

/**
 * A TLS front for the engine socket that, like `dockerd --tlsverify`, accepts only clients whose
 * certificate its CA signed. `rogueEnv` has the right ca.pem but a client certificate from another CA.
 */
export async function startTlsEngine(): Promise<
  RemoteEngineFixture & { dir: string; rogueEnv: NodeJS.ProcessEnv; port: number }
> {
  const dir = await mkdtemp(join(tmpdir(), 'cospec-tls-engine-'));
  const ca = newCa('coSPEC remote engine test CA', '127.0.0.1');
  const rogue = newCa('Some other CA', '127.0.0.1');
  await writeCertDir(join(dir, 'certs'), ca.caCertPem, signClient(ca.caCertPem, ca.caKey));
  await writeCertDir(join(dir, 'rogue-certs'), ca.caCertPem, signClient(rogue.caCertPem, rogue.caKey));

  const sockets = new Set<net.Socket>();
  const server = tls.createServer(
    // allowHalfOpen: a client's end of stdin (hijacked exec) must not cut the engine's answer short.
    {
      key: ca.leafKeyPem,
      cert: ca.leafCertPem,
      ca: ca.caCertPem,
      requestCert: true,
      rejectUnauthorized: true,
      allowHalfOpen: true,
    },
    (client) => {
      const engine = net.connect({ path: ENGINE_SOCKET, allowHalfOpen: true });
      sockets.add(client).add(engine);
      const forget = () => sockets.delete(client) && sockets.delete(engine);
      client.once('close', forget);
      client.on('error', () => engine.destroy());
      engine.on('error', () => client.destroy());
      client.pipe(engine);
      engine.pipe(client);
    },
  );
  server.on('tlsClientError', () => undefined);
  // Raw connections too (handshakes that failed or never finished), so stop() never waits on one.
  server.on('connection', (raw: net.Socket) => {
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const dockerHost = `tcp://127.0.0.1:${port}`;
  const base = { PATH: process.env.PATH, HOME: join(dir, 'home'), DOCKER_HOST: dockerHost, DOCKER_TLS_VERIFY: '1' };
  return {
    dockerHost,
    port,
    dir,
    env: { ...base, DOCKER_CERT_PATH: join(dir, 'certs') },
    rogueEnv: { ...base, DOCKER_CERT_PATH: join(dir, 'rogue-certs') },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
