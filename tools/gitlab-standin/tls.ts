import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';
import { signCaAndLeaf } from '../../src-main/services/gateway/certificates';

export interface TlsMaterial {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/**
 * A fresh CA and a server certificate signed by it, for exactly one name (the host the URL uses),
 * so both the custom-CA path and hostname mismatches can be tested. Keys come from node:crypto
 * (fast); node-forge only builds and signs the certificates.
 */
export function createTlsMaterial(hostname: string): TlsMaterial {
  const signed = signCaAndLeaf({
    caKeys: keyPair(),
    leafKeys: keyPair(),
    caSubject: [
      { name: 'commonName', value: 'GitLab Stand-in Test CA' },
      { name: 'organizationName', value: 'coSPEC tests' },
    ],
    hostname,
    skewMs: 60_000,
    caDays: 365,
    leafDays: 90,
  });
  return { caPem: signed.caCertPem, certPem: signed.leafCertPem, keyPem: signed.leafKeyPem };
}

function keyPair() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(
    privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  ) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e) };
}
