import { describe, expect, it } from 'vitest';
import { createAccountNetwork } from '../../../src-main/services/gitlab/network';

const base = { useSystemCa: true };
const URL_ = 'https://gitlab.corp.example';

describe('per-account network', () => {
  it('uses an explicit proxy first, unless the account excludes the host', async () => {
    const net = await createAccountNetwork(
      URL_,
      { ...base, proxyUrl: 'http://proxy.corp:3128' },
      { env: { HTTPS_PROXY: 'http://env:1' } },
    );
    expect([net.proxySource, net.proxyUrl]).toEqual(['explicit', 'http://proxy.corp:3128']);
    await net.close();
    const excluded = await createAccountNetwork(URL_, {
      ...base,
      proxyUrl: 'http://proxy.corp:3128',
      noProxy: '.corp.example',
    });
    expect(excluded.proxySource).toBe('none');
    await excluded.close();
  });

  it('follows HTTPS_PROXY and NO_PROXY from the environment', async () => {
    const viaEnv = await createAccountNetwork(URL_, base, { env: { HTTPS_PROXY: 'http://env-proxy:8080' } });
    expect([viaEnv.proxySource, viaEnv.proxyUrl]).toEqual(['environment', 'http://env-proxy:8080']);
    await viaEnv.close();
    const bypass = await createAccountNetwork(URL_, base, {
      env: { HTTPS_PROXY: 'http://env-proxy:8080', NO_PROXY: 'corp.example' },
    });
    expect(bypass.proxySource).toBe('none');
    await bypass.close();
  });

  it('falls back to the OS proxy as Electron resolves it (PAC answer)', async () => {
    const asked: string[] = [];
    const net = await createAccountNetwork(URL_, base, {
      env: {},
      resolveProxy: async (u) => (asked.push(u), 'PROXY os-proxy:3128; DIRECT'),
    });
    expect(asked).toEqual([URL_]);
    expect([net.proxySource, net.proxyUrl]).toEqual(['os', 'http://os-proxy:3128']);
    await net.close();
    const direct = await createAccountNetwork(URL_, base, { env: {}, resolveProxy: async () => 'DIRECT' });
    expect(direct.proxySource).toBe('none');
    await direct.close();
  });

  it('hands git a CA bundle only when extra CAs or no system store are configured, and refuses garbage PEM', async () => {
    const plain = await createAccountNetwork(URL_, base, { env: {} });
    expect(plain.caPem).toBeUndefined();
    await plain.close();
    const noSystem = await createAccountNetwork(URL_, { useSystemCa: false }, { env: {} });
    expect(noSystem.caPem).toBe('');
    await noSystem.close();
    await expect(createAccountNetwork(URL_, { ...base, caCertificatesPem: 'hello' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(
      createAccountNetwork(URL_, {
        ...base,
        caCertificatesPem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
