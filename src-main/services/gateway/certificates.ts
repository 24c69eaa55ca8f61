import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/**
 * A CA certificate and the one server certificate it signs, for exactly one host name or IP
 * address. Used for each run's gateway CA (run-ca.ts) and by the GitLab stand-in's own TLS, so
 * both present the same kind of chain a real private CA would.
 */

export interface CaAndLeafOptions {
  caKeys: forge.pki.rsa.KeyPair;
  leafKeys: forge.pki.rsa.KeyPair;
  caSubject: forge.pki.CertificateField[];
  /** The leaf's only name: a DNS name or an IP address. */
  hostname: string;
  /** How far back validity starts (clock skew between the signer and the client). */
  skewMs: number;
  caDays: number;
  leafDays: number;
  /** Limits the CA to signing leaves only. */
  pathLenConstraint?: number;
}

export interface CaAndLeaf {
  caCertPem: string;
  leafCertPem: string;
  leafKeyPem: string;
}

/** A positive 16-byte serial number. */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, skewMs: number, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - skewMs);
  cert.validity.notAfter = new Date(now + days * 24 * 60 * 60 * 1000);
}

export function signCaAndLeaf(opts: CaAndLeafOptions): CaAndLeaf {
  const ca = forge.pki.createCertificate();
  ca.publicKey = opts.caKeys.publicKey;
  ca.serialNumber = serial();
  validity(ca, opts.skewMs, opts.caDays);
  ca.setSubject(opts.caSubject);
  ca.setIssuer(opts.caSubject);
  ca.setExtensions([
    {
      name: 'basicConstraints',
      cA: true,
      critical: true,
      ...(opts.pathLenConstraint === undefined ? {} : { pathLenConstraint: opts.pathLenConstraint }),
    },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(opts.caKeys.privateKey, forge.md.sha256.create());

  const leaf = forge.pki.createCertificate();
  leaf.publicKey = opts.leafKeys.publicKey;
  leaf.serialNumber = serial();
  validity(leaf, opts.skewMs, opts.leafDays);
  leaf.setSubject([{ name: 'commonName', value: opts.hostname }]);
  leaf.setIssuer(opts.caSubject);
  const altName = isIP(opts.hostname) ? { type: 7, ip: opts.hostname } : { type: 2, value: opts.hostname };
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [altName] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  leaf.sign(opts.caKeys.privateKey, forge.md.sha256.create());

  return {
    caCertPem: forge.pki.certificateToPem(ca),
    leafCertPem: forge.pki.certificateToPem(leaf),
    leafKeyPem: forge.pki.privateKeyToPem(opts.leafKeys.privateKey),
  };
}
