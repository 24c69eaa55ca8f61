import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import {
  explainTcpError,
  parseRemoteHost,
  remoteEngineOptions,
} from '../../../src-main/services/sandbox/engine-remote';
import { hostKeyError, loadPrivateKey, selectIdentity } from '../../../src-main/services/sandbox/engine-remote-ssh';
import {
  fingerprint,
  hostFieldMatches,
  hostKeyAlgorithmsFor,
  keysForHost,
  keyTypeOf,
  knownHostName,
  verifyHostKey,
} from '../../../src-main/services/sandbox/ssh-known-hosts';

// A real ed25519 host key and what `ssh-keygen -lf` and `ssh-keygen -H` said about it.
const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIGox0WpGfWSTdATKhsi6ZxOO0Nn57HlR+0WsK6mfcPIV';
const KEY_FINGERPRINT = 'SHA256:dv7+V+VdUTVR3QWIeVjoHY7NRzelIEDOiM61FXIeyvQ';
const HASHED_ENGINE_2222 = '|1|0mhnCCH8c1hmIeOll0cRDfXytrs=|aSk+eVvVk14O0eTvZBNnaDDXhtM='; // [engine.example]:2222
const HASHED_BUILD_22 = '|1|2DNKjQFwuqYi60Hx4PgH0ke1Hc4=|1OYYkBo5d6HCCnXJRPFruuwaoWU='; // build.example
const OTHER_KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const blob = Buffer.from(KEY, 'base64');

function codeAndMessage(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof CospecError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a CospecError');
}

describe('parseRemoteHost', () => {
  it('reads tcp:// with and without TLS, defaulting the port like Docker', () => {
    expect(parseRemoteHost('tcp://build.example:2375', {})).toEqual({
      kind: 'tcp',
      host: 'build.example',
      port: 2375,
      tls: false,
    });
    expect(parseRemoteHost('tcp://build.example', {})).toEqual({
      kind: 'tcp',
      host: 'build.example',
      port: 2375,
      tls: false,
    });
    expect(parseRemoteHost('tcp://build.example', { DOCKER_TLS_VERIFY: '1' })).toEqual({
      kind: 'tcp',
      host: 'build.example',
      port: 2376,
      tls: true,
    });
    expect(parseRemoteHost('tcp://build.example:2376', {})).toMatchObject({ tls: true, port: 2376 });
    expect(parseRemoteHost('tcp://build.example:9000', { DOCKER_CERT_PATH: '/certs' })).toMatchObject({
      tls: true,
      port: 9000,
    });
    expect(parseRemoteHost('tcp://build.example:9000', { DOCKER_TLS_VERIFY: '0' })).toMatchObject({ tls: false });
    expect(parseRemoteHost('tcp://[::1]:2376', {})).toMatchObject({ host: '::1', port: 2376 });
  });

  it('reads ssh:// with user, port and the Podman socket path, else the local user and port 22', () => {
    expect(parseRemoteHost('ssh://ci@build.example:2222/run/podman/podman.sock', {})).toEqual({
      kind: 'ssh',
      host: 'build.example',
      port: 2222,
      username: 'ci',
      socketPath: '/run/podman/podman.sock',
    });
    expect(parseRemoteHost('ssh://build.example', { USER: 'alice' })).toEqual({
      kind: 'ssh',
      host: 'build.example',
      port: 22,
      username: 'alice',
    });
    expect(parseRemoteHost('ssh://build.example/', { USER: 'alice' })).not.toHaveProperty('socketPath');
    expect(parseRemoteHost('ssh://root@[::1]:22', {})).toMatchObject({ host: '::1', port: 22, username: 'root' });
  });

  it('refuses what it cannot use, saying what it expected', () => {
    for (const [value, why] of [
      ['not a url', 'it is not a URL'],
      ['http://build.example:2375', 'the scheme http:// is not one of tcp, ssh'],
      ['tcp://build.example:2376/v1.41', 'a tcp:// address takes no path'],
      ['ssh://ci:hunter2@build.example', 'passwords in the URL are not supported'],
    ] as const) {
      const { code, message } = codeAndMessage(() => parseRemoteHost(value, {}));
      expect(code).toBe('ENGINE_UNAVAILABLE');
      expect(message).toContain(why);
      expect(message).toContain('Expected tcp://host:port or ssh://user@host');
    }
  });
});

describe('known_hosts', () => {
  it('names hosts the way OpenSSH writes them', () => {
    expect(knownHostName('Build.Example', 22)).toBe('build.example');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
    expect(knownHostName('[::1]', 2222)).toBe('[::1]:2222');
  });

  it('matches plain names, [host]:port, wildcards and negations', () => {
    expect(hostFieldMatches('build.example,10.0.0.5', 'build.example')).toBe(true);
    expect(hostFieldMatches('build.example', '[build.example]:2222')).toBe(false);
    expect(hostFieldMatches('[build.example]:2222', '[build.example]:2222')).toBe(true);
    expect(hostFieldMatches('*.example', 'build.example')).toBe(true);
    expect(hostFieldMatches('*.example,!evil.example', 'evil.example')).toBe(false);
    expect(hostFieldMatches('build?.example', 'build1.example')).toBe(true);
    expect(hostFieldMatches('build.example', 'build-example')).toBe(false);
  });

  it('matches hashed entries written by ssh-keygen -H, for port 22 and [host]:port', () => {
    expect(hostFieldMatches(HASHED_ENGINE_2222, '[engine.example]:2222')).toBe(true);
    expect(hostFieldMatches(HASHED_ENGINE_2222, 'engine.example')).toBe(false);
    expect(hostFieldMatches(HASHED_BUILD_22, 'build.example')).toBe(true);
    expect(hostFieldMatches(HASHED_BUILD_22, 'other.example')).toBe(false);
  });

  it('lists the keys for a host, skipping comments, other hosts and @cert-authority lines', () => {
    const text = [
      '# comment',
      `other.example ssh-ed25519 ${OTHER_KEY}`,
      `${HASHED_ENGINE_2222} ssh-ed25519 ${KEY}`,
      `@cert-authority *.example ssh-ed25519 ${OTHER_KEY}`,
      `[engine.example]:2222 ssh-rsa AAAAB3NzaC1yc2E comment here`,
      '',
    ].join('\n');
    expect(keysForHost(text, 'engine.example', 2222)).toEqual([
      { type: 'ssh-ed25519', key: KEY, line: 3, revoked: false },
      { type: 'ssh-rsa', key: 'AAAAB3NzaC1yc2E', line: 5, revoked: false },
    ]);
    expect(keysForHost(text, 'engine.example', 22)).toEqual([]);
  });

  it('tells a known key from an unknown host, a changed key and a revoked key', () => {
    const listed = keysForHost(`build.example ssh-ed25519 ${KEY}\n`, 'build.example', 22);
    expect(verifyHostKey(listed, blob)).toEqual({ ok: true, line: 1 });
    expect(verifyHostKey([], blob)).toEqual({ ok: false, reason: 'unknown' });
    const changed = keysForHost(
      `build.example ssh-ed25519 ${OTHER_KEY}\n\nbuild.example ssh-rsa AAAAB3NzaC1yc2E\n`,
      'build.example',
      22,
    );
    expect(verifyHostKey(changed, blob)).toEqual({ ok: false, reason: 'mismatch', lines: [1, 3] });
    const revoked = keysForHost(
      `build.example ssh-ed25519 ${KEY}\n@revoked * ssh-ed25519 ${KEY}\n`,
      'build.example',
      22,
    );
    expect(verifyHostKey(revoked, blob)).toEqual({ ok: false, reason: 'revoked', line: 2 });
  });

  it('reads the key type and fingerprint like ssh-keygen -lf', () => {
    expect(keyTypeOf(blob)).toBe('ssh-ed25519');
    expect(fingerprint(blob)).toBe(KEY_FINGERPRINT);
  });

  it('offers only the host key algorithms the file knows for the host', () => {
    expect(hostKeyAlgorithmsFor([{ type: 'ssh-rsa', key: 'x', line: 1, revoked: false }])).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
    expect(hostKeyAlgorithmsFor([{ type: 'ssh-ed25519', key: 'x', line: 1, revoked: true }])).toBeUndefined();
    expect(hostKeyAlgorithmsFor([])).toBeUndefined();
  });
});

describe('host key errors', () => {
  const target = { host: 'build.example', port: 2222, username: 'ci' };

  it('an unknown host says which ssh-keyscan to run and shows the fingerprint to check', () => {
    const error = hostKeyError({ ok: false, reason: 'unknown' }, target, blob, '/home/ci/.ssh/known_hosts', '/home/ci');
    expect(error.code).toBe('ENGINE_UNAVAILABLE');
    expect(error.message).toContain('`ssh-keyscan -p 2222 build.example >> ~/.ssh/known_hosts`');
    expect(error.message).toContain('`ssh -p 2222 ci@build.example true`');
    expect(error.message).toContain(`ssh-ed25519 ${KEY_FINGERPRINT}`);
    const port22 = hostKeyError(
      { ok: false, reason: 'unknown' },
      { ...target, port: 22 },
      blob,
      '/etc/cospec/known_hosts',
      '/home/ci',
    );
    expect(port22.message).toContain('`ssh-keyscan build.example >> /etc/cospec/known_hosts`');
  });

  it('a changed key warns, names the lines, and says how to replace it once confirmed', () => {
    const error = hostKeyError(
      { ok: false, reason: 'mismatch', lines: [3] },
      target,
      blob,
      '/home/ci/.ssh/known_hosts',
      '/home/ci',
    );
    expect(error.message).toContain('has CHANGED');
    expect(error.message).toContain('(line 3)');
    expect(error.message).toContain("`ssh-keygen -R '[build.example]:2222' -f ~/.ssh/known_hosts`");
  });
});

describe('ssh credentials', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'cospec-ssh-unit-'));
    mkdirSync(join(home, '.ssh'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const plainKey = () =>
    generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;
  const encryptedKey = () =>
    generateKeyPairSync('rsa', {
      modulusLength: 1024,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'secret' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    }).privateKey;

  it('uses the agent when SSH_AUTH_SOCK is set, plus the first default key that exists', () => {
    expect(selectIdentity({ SSH_AUTH_SOCK: '/tmp/agent.sock' }, home)).toEqual({ agent: '/tmp/agent.sock' });
    writeFileSync(join(home, '.ssh', 'id_rsa'), plainKey());
    writeFileSync(join(home, '.ssh', 'id_ecdsa'), plainKey());
    expect(selectIdentity({}, home)).toEqual({ keyPath: join(home, '.ssh', 'id_ecdsa') });
    writeFileSync(join(home, '.ssh', 'id_ed25519'), plainKey());
    expect(selectIdentity({ SSH_AUTH_SOCK: '/tmp/agent.sock' }, home)).toEqual({
      agent: '/tmp/agent.sock',
      keyPath: join(home, '.ssh', 'id_ed25519'),
    });
  });

  it('COSPEC_SSH_IDENTITY overrides both, and must exist', () => {
    const key = join(home, 'deploy_key');
    writeFileSync(key, plainKey());
    expect(selectIdentity({ COSPEC_SSH_IDENTITY: key, SSH_AUTH_SOCK: '/tmp/agent.sock' }, home)).toEqual({
      keyPath: key,
    });
    expect(codeAndMessage(() => selectIdentity({ COSPEC_SSH_IDENTITY: join(home, 'gone') }, home)).message).toContain(
      `COSPEC_SSH_IDENTITY points at ${join(home, 'gone')}`,
    );
  });

  it('with no agent and no key, says how to make one', () => {
    const { code, message } = codeAndMessage(() => selectIdentity({}, home));
    expect(code).toBe('ENGINE_UNAVAILABLE');
    expect(message).toContain('~/.ssh/id_ed25519, ~/.ssh/id_ecdsa, ~/.ssh/id_rsa');
    expect(message).toContain('ssh-keygen -t ed25519');
  });

  it('an encrypted key is refused with the ssh-agent route, unless an agent may hold it', () => {
    const path = join(home, '.ssh', 'id_rsa');
    writeFileSync(path, encryptedKey());
    const { message } = codeAndMessage(() => loadPrivateKey(path, home, false));
    expect(message).toBe(
      'The SSH key ~/.ssh/id_rsa is protected by a passphrase, which coSPEC does not ask for. Load it into ssh-agent (`ssh-add ~/.ssh/id_rsa`) and start coSPEC where SSH_AUTH_SOCK is set.',
    );
    expect(loadPrivateKey(path, home, true)).toBeUndefined();
    writeFileSync(path, plainKey());
    expect(loadPrivateKey(path, home, false)).toBeInstanceOf(Buffer);
  });
});

describe('remoteEngineOptions without a connection', () => {
  it('names the missing TLS file and the folder it looked in', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cospec-certs-unit-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), 'x');
      const error = await remoteEngineOptions('tcp://build.example:2376', { DOCKER_CERT_PATH: dir }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CospecError);
      expect((error as CospecError).message).toContain(
        `the client certificate (cert.pem) at ${join(dir, 'cert.pem')}, which does not exist`,
      );
      const fromHome = await remoteEngineOptions('tcp://build.example:2376', { HOME: dir }).catch((e: unknown) => e);
      expect((fromHome as CospecError).message).toContain(join(dir, '.docker', 'ca.pem'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses plain tcp to another host, allows it on loopback', async () => {
    const error = await remoteEngineOptions('tcp://build.example:2375', {}).catch((e: unknown) => e);
    expect((error as CospecError).message).toContain('unencrypted and unauthenticated');
    const local = await remoteEngineOptions('tcp://127.0.0.1:2375', {});
    expect(local.endpoint).toBe('tcp://127.0.0.1:2375');
    expect(local.options).toMatchObject({ protocol: 'http', host: '127.0.0.1', port: 2375 });
    await local.close();
    const allowed = await remoteEngineOptions('tcp://build.example:2375', { COSPEC_ALLOW_PLAIN_TCP: '1' });
    await allowed.close();
  });

  it('shows ssh endpoints without a password and with the socket path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cospec-ssh-unit-'));
    try {
      writeFileSync(
        join(dir, 'key'),
        generateKeyPairSync('ed25519', {
          privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
          publicKeyEncoding: { type: 'spki', format: 'pem' },
        }).privateKey,
      );
      const remote = await remoteEngineOptions('ssh://ci@build.example:2222/run/podman/podman.sock', {
        HOME: dir,
        COSPEC_SSH_IDENTITY: join(dir, 'key'),
      });
      expect(remote.endpoint).toBe('ssh://ci@build.example:2222/run/podman/podman.sock');
      await remote.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('explainTcpError', () => {
  const errno = (code: string) => Object.assign(new Error(code), { code });

  it('says which side is wrong for the usual failures', () => {
    const at = 'tcp://build.example:2376';
    expect(explainTcpError(errno('ECONNREFUSED'), at, '/c').message).toBe(
      `Nothing listens at ${at} (connection refused): is the engine running there with its TCP port open?`,
    );
    expect(explainTcpError(errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), at, '/c').message).toContain(
      '/c/ca.pem did not sign',
    );
    expect(explainTcpError(errno('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), at, '/c').message).toContain(
      'refused our client certificate (/c/cert.pem)',
    );
    expect(explainTcpError(errno('ECONNRESET'), at, '/c', true).message).toContain(
      'usually means it refused our client certificate',
    );
    expect(explainTcpError(errno('ERR_TLS_CERT_ALTNAME_INVALID'), at, '/c').message).toContain(
      'not issued for the host',
    );
  });

  it('leaves other errors as they are', () => {
    const other = errno('ECONNRESET');
    expect(explainTcpError(other, 'tcp://x:2376', '/c', false)).toBe(other);
    expect(explainTcpError(errno('EPIPE'), 'tcp://x:2375', undefined, true).message).toBe('EPIPE');
  });
});
