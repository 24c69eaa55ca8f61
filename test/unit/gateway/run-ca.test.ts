import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createRunCa } from '../../../src-main/services/gateway/run-ca';
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
  it('signs a leaf for the GitLab host that verifies against the run CA only', async () => {
    const ca = await createRunCa('run-1', 'gitlab.example.com');
    const [leaf, chainCa] = certs(ca.leafChainPem);
    const [root] = certs(ca.caCertPem);
    expect(root!.ca).toBe(true);
    expect(chainCa!.fingerprint256).toBe(root!.fingerprint256);
    expect(leaf!.ca).toBe(false);
    expect(leaf!.checkHost('gitlab.example.com')).toBe('gitlab.example.com');
    expect(leaf!.checkHost('evil.example.com')).toBeUndefined();
    expect(leaf!.verify(root!.publicKey)).toBe(true);
    expect(ca.caCertPem).not.toContain('PRIVATE KEY');

    const other = await createRunCa('run-2', 'gitlab.example.com');
    expect(leaf!.verify(certs(other.caCertPem)[0]!.publicKey)).toBe(false);
  });

  it('uses an IP subjectAltName for an instance addressed by IP', async () => {
    const ca = await createRunCa('run-ip', '127.0.0.1');
    expect(certs(ca.leafChainPem)[0]!.checkIP('127.0.0.1')).toBe('127.0.0.1');
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
