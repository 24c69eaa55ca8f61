import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRunCa, type RunCa } from '../../../src-main/services/gateway/run-ca';
import {
  containerTrustEnv,
  gitRemoteForContainer,
  trustBundleCommand,
} from '../../../src-main/services/gateway/container';

function certs(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (p) => new X509Certificate(p),
  );
}

describe('run CA', () => {
  // Each CA is two real 2048-bit RSA keys, seconds of CPU on a loaded machine: make the two CAs
  // the checks need once, with room for that, instead of fresh ones (and a 5 s limit) per test.
  let byName: RunCa;
  let byIp: RunCa;
  beforeAll(async () => {
    [byName, byIp] = await Promise.all([
      createRunCa('run-1', 'gitlab.example.com'),
      createRunCa('run-ip', '127.0.0.1'),
    ]);
  }, 120_000);

  it('signs a leaf for the GitLab host that verifies against the run CA only', () => {
    const [leaf, chainCa] = certs(byName.leafChainPem);
    const [root] = certs(byName.caCertPem);
    expect(root!.ca).toBe(true);
    expect(chainCa!.fingerprint256).toBe(root!.fingerprint256);
    expect(leaf!.ca).toBe(false);
    expect(leaf!.checkHost('gitlab.example.com')).toBe('gitlab.example.com');
    expect(leaf!.checkHost('evil.example.com')).toBeUndefined();
    expect(leaf!.verify(root!.publicKey)).toBe(true);
    expect(byName.caCertPem).not.toContain('PRIVATE KEY');

    // Another run's CA (its own keys) does not vouch for this run's leaf.
    expect(leaf!.verify(certs(byIp.caCertPem)[0]!.publicKey)).toBe(false);
  });

  it('uses an IP subjectAltName for an instance addressed by IP', () => {
    expect(certs(byIp.leafChainPem)[0]!.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });
});

describe('container wiring', () => {
  it('gives the clone the real instance URL with no credentials in it', () => {
    expect(gitRemoteForContainer('https://bot:secret@gitlab.example.com/gitlab/', 'acme/web-app')).toBe(
      'https://gitlab.example.com/gitlab/acme/web-app.git',
    );
    expect(gitRemoteForContainer('http://127.0.0.1:8929', '/acme/web-app.git')).toBe(
      'http://127.0.0.1:8929/acme/web-app.git',
    );
  });

  it('points every TLS client at the bundle and Node at the run CA', () => {
    expect(containerTrustEnv('/tmp/bundle.pem', '/run/cospec/ca.pem')).toMatchObject({
      GIT_SSL_CAINFO: '/tmp/bundle.pem',
      SSL_CERT_FILE: '/tmp/bundle.pem',
      NODE_EXTRA_CA_CERTS: '/run/cospec/ca.pem',
    });
    expect(trustBundleCommand('/etc/ssl/certs/ca-certificates.crt', '/run/cospec/ca.pem', '/tmp/b.pem')).toBe(
      "cat '/etc/ssl/certs/ca-certificates.crt' '/run/cospec/ca.pem' > '/tmp/b.pem'",
    );
  });
});
