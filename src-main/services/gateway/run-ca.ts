import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/**
 * A certificate authority made for one run, and the one leaf it signs: a certificate for the run's
 * GitLab host, so the gateway can terminate the sandbox's TLS to that host and add credentials.
 * The CA certificate (never its key) is mounted into the container and trusted there; the key
 * lives only in this process's memory and dies with the run, so a leaked CA cert lets no one
 * impersonate anything after the run.
 */

export interface RunCa {
  caCertPem: string;
  /** Leaf certificate for the GitLab host followed by the CA, as a TLS server sends its chain. */
  leafChainPem: string;
  leafKeyPem: string;
}

const generateKeyPair = (bits: number) =>
  new Promise<forge.pki.rsa.KeyPair>((resolve, reject) =>
    // forge delegates to Node's native generator here, so this does not block the event loop.
    forge.pki.rsa.generateKeyPair({ bits, workers: -1 }, (err, pair) => (err ? reject(err) : resolve(pair))),
  );

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60 * 60 * 1000); // tolerate small clock skew with the container
  cert.validity.notAfter = new Date(now + days * 24 * 60 * 60 * 1000);
}

/** Makes the run CA and a leaf for `hostname` (a DNS name or an IP address). */
export async function createRunCa(runId: string, hostname: string): Promise<RunCa> {
  const [caKeys, leafKeys] = await Promise.all([generateKeyPair(2048), generateKeyPair(2048)]);

  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serial();
  validity(ca, 7);
  const caSubject = [
    { name: 'commonName', value: `coSPEC run ${runId.slice(0, 40)} gateway CA` },
    { name: 'organizationName', value: 'coSPEC Desktop' },
  ];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const leaf = forge.pki.createCertificate();
  leaf.publicKey = leafKeys.publicKey;
  leaf.serialNumber = serial();
  validity(leaf, 7);
  leaf.setSubject([{ name: 'commonName', value: hostname }]);
  leaf.setIssuer(caSubject);
  const altName = isIP(hostname) ? { type: 7, ip: hostname } : { type: 2, value: hostname };
  leaf.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [altName] },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() },
  ]);
  leaf.sign(caKeys.privateKey, forge.md.sha256.create());

  const caCertPem = forge.pki.certificateToPem(ca);
  return {
    caCertPem,
    leafChainPem: forge.pki.certificateToPem(leaf) + caCertPem,
    leafKeyPem: forge.pki.privateKeyToPem(leafKeys.privateKey),
  };
}
