import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPort, removeDir, startConnectProxy, startHtmlServer, startServices } from './harness';
import { selfSignedCert, startHttpsJson } from './tls-fixtures';

// Failures that need no GitLab at all: each must come back as its own code with an actionable message.
let ctx: Awaited<ReturnType<typeof startServices>>;
beforeAll(async () => {
  ctx = await startServices();
});
afterAll(async () => {
  await ctx.services.dispose();
  removeDir(ctx.dataDir);
});

const connect = (instanceUrl: string, extra: Record<string, unknown> = {}) =>
  ctx.accounts.connectWithToken({ instanceUrl, token: 'glpat-not-a-real-token-000', allowHttp: true, ...extra });

describe('connect diagnostics without a GitLab', () => {
  it('DNS failure on an unresolvable name suggests the VPN', async () => {
    await expect(connect('https://gitlab.cospec-test.invalid')).rejects.toMatchObject({
      code: 'DNS_FAILURE',
      message: expect.stringContaining("Can't resolve gitlab.cospec-test.invalid — are you connected to the VPN?"),
    });
  });

  it('connection refused on a closed loopback port', async () => {
    await expect(connect(`http://127.0.0.1:${await closedPort()}`)).rejects.toMatchObject({
      code: 'CONNECTION_REFUSED',
    });
  });

  it('NOT_GITLAB for a web server that answers HTML', async () => {
    const html = await startHtmlServer();
    try {
      await expect(connect(html.url)).rejects.toMatchObject({
        code: 'NOT_GITLAB',
        message: expect.stringContaining('not like GitLab'),
      });
    } finally {
      await html.close();
    }
  });

  it('TLS_CERT_EXPIRED for an expired certificate, even when its CA is trusted', async () => {
    const cert = selfSignedCert({ notBefore: new Date('2020-01-01'), notAfter: new Date('2021-01-01') });
    const server = await startHttpsJson(cert);
    try {
      await expect(connect(server.url, { network: { caCertificatesPem: cert.certPem } })).rejects.toMatchObject({
        code: 'TLS_CERT_EXPIRED',
      });
    } finally {
      await server.close();
    }
  });

  it('TLS_ERROR when https is spoken to a plain http server', async () => {
    const html = await startHtmlServer();
    try {
      await expect(connect(html.url.replace('http:', 'https:'))).rejects.toMatchObject({ code: 'TLS_ERROR' });
    } finally {
      await html.close();
    }
  });

  it('PROXY_ERROR when the configured proxy is down or refuses the tunnel', async () => {
    const down = `http://127.0.0.1:${await closedPort()}`;
    await expect(connect('https://gitlab.example.com', { network: { proxyUrl: down } })).rejects.toMatchObject({
      code: 'PROXY_ERROR',
    });
    const refusing = await startConnectProxy({ refuse: true });
    try {
      await expect(
        connect('https://gitlab.example.com', { network: { proxyUrl: refusing.url } }),
      ).rejects.toMatchObject({
        code: 'PROXY_ERROR',
        message: expect.stringContaining('403'),
      });
    } finally {
      await refusing.close();
    }
  });

  it('INVALID_URL and INSECURE_URL before any network traffic', async () => {
    await expect(
      ctx.accounts.connectWithToken({ instanceUrl: 'gitlab.company.com', token: 'x', allowHttp: false }),
    ).rejects.toMatchObject({ code: 'INVALID_URL' });
    await expect(
      ctx.accounts.connectWithToken({ instanceUrl: 'http://gitlab.company.com', token: 'x', allowHttp: false }),
    ).rejects.toMatchObject({ code: 'INSECURE_URL' });
  });

  it('changed nothing stored after all these failures', async () => {
    expect(await ctx.accounts.list()).toEqual([]);
    expect(ctx.changes).toEqual([]);
  });
});
