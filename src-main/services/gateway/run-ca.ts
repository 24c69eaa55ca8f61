import forge from 'node-forge';
import { signCaAndLeaf } from './certificates';

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

/** Makes the run CA and a leaf for `hostname` (a DNS name or an IP address). */
export async function createRunCa(runId: string, hostname: string): Promise<RunCa> {
  const [caKeys, leafKeys] = await Promise.all([generateKeyPair(2048), generateKeyPair(2048)]);
  const signed = signCaAndLeaf({
    caKeys,
    leafKeys,
    caSubject: [
      { name: 'commonName', value: `coSPEC run ${runId.slice(0, 40)} gateway CA` },
      { name: 'organizationName', value: 'coSPEC Desktop' },
    ],
    hostname,
    // Tolerates small clock skew with the container.
    skewMs: 60 * 60 * 1000,
    caDays: 7,
    leafDays: 7,
    pathLenConstraint: 0,
  });
  return {
    caCertPem: signed.caCertPem,
    leafChainPem: signed.leafCertPem + signed.caCertPem,
    leafKeyPem: signed.leafKeyPem,
  };
}
