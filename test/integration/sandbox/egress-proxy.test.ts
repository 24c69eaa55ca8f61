import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileAllowlist,
  forbiddenAddressReason,
  parseAllowEntry,
  startEgressProxy,
  type EgressProxy,
} from '../../../src-main/services/sandbox';
import { createTlsMaterial } from '../../../tools/gitlab-standin/tls';

/**
 * The egress proxy on its own, over real sockets on loopback (no container needed): the rules for
 * names, ports and addresses, DNS only for allowed names, TLS passed through untouched, the hand-over
 * of the run's GitLab host to the credential gateway, and the decision log.
 */

function curl(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '-m', '10', ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
          out: String(stdout) + String(stderr),
        }),
    );
  });
}

/** Sends one raw request to the proxy and returns its status line. */
function rawStatus(proxyUrl: string, text: string): Promise<string> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => s.write(text));
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        resolve(buf.split('\r\n')[0]!);
        s.destroy();
      }
    });
    s.on('error', reject);
  });
}

describe('allowlist entries and addresses', () => {
  it('parses hosts, wildcards, ports and IPv6, and rejects what cannot be a host', () => {
    expect(parseAllowEntry('GitLab.Example.com')).toEqual({ host: 'gitlab.example.com', wildcard: false });
    expect(parseAllowEntry('*.pypi.org')).toEqual({ host: 'pypi.org', wildcard: true });
    expect(parseAllowEntry('127.0.0.1:8929')).toEqual({ host: '127.0.0.1', wildcard: false, port: 8929 });
    expect(parseAllowEntry('[fd00::1]:443')).toEqual({ host: 'fd00::1', wildcard: false, port: 443 });
    for (const bad of ['', 'a b', 'http://x.com', 'x.com:99999', '*.10.0.0.1', 'x.com:abc'])
      expect(parseAllowEntry(bad), bad).toBeUndefined();
  });

  it('matches wildcards on sub-domains only and web ports unless a port is named', () => {
    const list = compileAllowlist(['*.pypi.org', 'gitlab.corp', 'registry.corp:5000']);
    expect(list.match('files.pypi.org', 443)).toMatchObject({ allowed: true, exact: false });
    expect(list.match('pypi.org', 443).allowed).toBe(false);
    expect(list.match('evilpypi.org', 443).allowed).toBe(false);
    expect(list.match('GITLAB.corp.', 80)).toMatchObject({ allowed: true, exact: true });
    expect(list.match('gitlab.corp', 22)).toMatchObject({
      allowed: false,
      reason: 'port 22 is not allowed for gitlab.corp',
    });
    expect(list.match('registry.corp', 5000).allowed).toBe(true);
    expect(list.match('registry.corp', 443).allowed).toBe(false);
  });

  it('classifies loopback, link-local, metadata, private and mapped addresses', () => {
    expect(forbiddenAddressReason('127.0.0.5')).toMatch(/loopback/);
    expect(forbiddenAddressReason('::1')).toMatch(/loopback/);
    expect(forbiddenAddressReason('169.254.169.254')).toMatch(/metadata/);
    expect(forbiddenAddressReason('fd00:ec2::254')).toMatch(/metadata/);
    expect(forbiddenAddressReason('169.254.1.1')).toMatch(/link-local/);
    expect(forbiddenAddressReason('fe80::1')).toMatch(/link-local/);
    for (const a of ['10.1.2.3', '172.16.0.1', '192.168.1.1', 'fc00::1', '0.0.0.0', '224.0.0.1'])
      expect(forbiddenAddressReason(a), a).toMatch(/private or reserved/);
    expect(forbiddenAddressReason('100.64.0.1')).toMatch(/carrier-grade NAT/);
    expect(forbiddenAddressReason('::ffff:127.0.0.1')).toMatch(/loopback/);
    expect(forbiddenAddressReason('93.184.216.34')).toBeUndefined();
    expect(forbiddenAddressReason('2606:2800:220:1:248:1893:25c8:1946')).toBeUndefined();
  });
});

describe('the egress proxy', () => {
  let http: Server;
  let https: Server;
  let httpPort: number;
  let httpsPort: number;
  let proxy: EgressProxy;
  let dir: string;
  let caFile: string;
  const lookedUp: string[] = [];
  const gatewayCalls: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cospec-egress-'));
    http = createServer((req, res) => res.end(`plain ${req.headers.host} ${req.url}\n`));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpPort = (http.address() as AddressInfo).port;
    const tls = createTlsMaterial('allowed.test');
    caFile = join(dir, 'ca.pem');
    await writeFile(caFile, tls.caPem);
    https = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (_req, res) => res.end('secret over tls\n'));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    httpsPort = (https.address() as AddressInfo).port;

    proxy = await startEgressProxy({
      allowlist: [
        `allowed.test:${httpPort}`,
        `allowed.test:${httpsPort}`,
        `*.wild.test:${httpPort}`,
        `vpn-gitlab.corp:${httpPort}`,
        `rebind.attacker.test:${httpPort}`,
      ],
      // What the admin's policy opened to private addresses (PolicyGuard.mayReachPrivate); not rebind.attacker.test.
      mayReachPrivate: (entry) =>
        entry === `allowed.test:${httpPort}` ||
        entry === `vpn-gitlab.corp:${httpPort}` ||
        entry === `allowed.test:${httpsPort}`,
      logPath: join(dir, 'egress.log'),
      lookup: async (name) => {
        lookedUp.push(name);
        const table: Record<string, string> = {
          'allowed.test': '127.0.0.1',
          'a.wild.test': '10.0.0.7',
          'b.wild.test': '::ffff:169.254.169.254',
          'vpn-gitlab.corp': '127.0.0.1',
          'rebind.attacker.test': '127.0.0.1',
        };
        const address = table[name];
        if (!address) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
        return [{ address, family: address.includes(':') ? 6 : 4 }];
      },
      gateway: {
        handles: (host, port) => host === 'gitlab.test' && port === 443,
        handleConnect: (req: IncomingMessage, socket: Duplex) => {
          gatewayCalls.push(`CONNECT ${req.url}`);
          socket.end('HTTP/1.1 418 Gateway\r\nconnection: close\r\n\r\n');
        },
        handleHttpRequest: (req: IncomingMessage, res: ServerResponse) => {
          gatewayCalls.push(`${req.method} ${req.url}`);
          res.writeHead(418).end();
        },
      },
    });
  });

  afterAll(async () => {
    await proxy?.close();
    http?.close();
    https?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('passes TLS to an allowed host through untouched (the client verifies the real certificate)', async () => {
    const r = await curl([
      '--cacert',
      caFile,
      '-x',
      proxy.address,
      '--resolve',
      `allowed.test:${httpsPort}:127.0.0.1`,
      `https://allowed.test:${httpsPort}/`,
    ]);
    expect(r.out).toContain('secret over tls');
    expect(r.code).toBe(0);
  });

  it('forwards absolute-URI requests to an allowed host with its Host header', async () => {
    const r = await curl(['-x', proxy.address, `http://allowed.test:${httpPort}/path?q=1`]);
    expect(r.out).toBe(`plain allowed.test:${httpPort} /path?q=1\n`);
  });

  it('lets a name the policy opened use a private or loopback address (a registry behind a VPN)', async () => {
    const r = await curl(['-x', proxy.address, `http://vpn-gitlab.corp:${httpPort}/`]);
    expect(r.out).toContain('plain vpn-gitlab.corp');
  });

  it('refuses a listed name that resolves to loopback when the policy did not open it (DNS rebinding)', async () => {
    const before = lookedUp.length;
    const viaUri = await curl(['-x', proxy.address, `http://rebind.attacker.test:${httpPort}/`]);
    expect(viaUri.out).toMatch(/403|loopback/);
    expect(viaUri.out).not.toContain('plain');
    const viaConnect = await curl(['-p', '-x', proxy.address, `http://rebind.attacker.test:${httpPort}/`]);
    expect(viaConnect.out).toMatch(/403/);
    expect(viaConnect.out).not.toContain('plain');
    expect(lookedUp.slice(before)).toContain('rebind.attacker.test');
  });

  it('shares one lookup among requests made together, and still judges the shared answer', async () => {
    const before = lookedUp.length;
    const allowed = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        curl(['-p', '-x', proxy.address, `http://vpn-gitlab.corp:${httpPort}/together-${i}`]),
      ),
    );
    for (const [i, r] of allowed.entries()) expect(r.out).toContain(`/together-${i}`);
    // Shared (dns-cache.ts has the exact rules, with its own clock): fewer calls than requests.
    expect(lookedUp.slice(before).filter((n) => n === 'vpn-gitlab.corp').length).toBeLessThan(allowed.length);
    // The same loopback answer, for a name the policy did not open, is refused every time.
    const refused = await Promise.all(
      Array.from({ length: 3 }, () => curl(['-p', '-x', proxy.address, `http://rebind.attacker.test:${httpPort}/`])),
    );
    for (const r of refused) {
      expect(r.out).toMatch(/403/);
      expect(r.out).not.toContain('plain');
    }
  });

  it('refuses a wildcard-matched name that resolves to a private or metadata address', async () => {
    expect((await curl(['-p', '-x', proxy.address, `http://a.wild.test:${httpPort}/`])).out).toMatch(/403/);
    expect((await curl(['-x', proxy.address, `http://b.wild.test:${httpPort}/`])).out).toMatch(/metadata/);
  });

  it('never resolves a name that is not on the list', async () => {
    await curl(['-x', proxy.address, `http://exfiltrate-this.attacker.test:${httpPort}/`]);
    await curl(['-p', '-x', proxy.address, `http://also-not.attacker.test:443/`]);
    expect(lookedUp.filter((n) => n.includes('attacker') && n !== 'rebind.attacker.test')).toEqual([]);
  });

  it('hands the run’s GitLab host to the gateway, by CONNECT and by absolute URI', async () => {
    expect(await rawStatus(proxy.address, 'CONNECT gitlab.test:443 HTTP/1.1\r\nhost: gitlab.test:443\r\n\r\n')).toBe(
      'HTTP/1.1 418 Gateway',
    );
    // An http:// request to the same host but another port is not the gateway's, and not listed.
    expect(await rawStatus(proxy.address, 'GET http://gitlab.test:80/ HTTP/1.1\r\nhost: gitlab.test\r\n\r\n')).toMatch(
      /403/,
    );
    expect(gatewayCalls).toEqual(['CONNECT gitlab.test:443']);
  });

  it('answers malformed and origin-form requests with 400', async () => {
    expect(await rawStatus(proxy.address, 'CONNECT nonsense HTTP/1.1\r\n\r\n')).toMatch(/400/);
    expect(await rawStatus(proxy.address, 'GET / HTTP/1.1\r\nhost: allowed.test\r\n\r\n')).toMatch(/400/);
    expect(await rawStatus(proxy.address, 'GET https://allowed.test/ HTTP/1.1\r\nhost: allowed.test\r\n\r\n')).toMatch(
      /400/,
    );
  });

  it('writes every decision to the run’s egress log and sums them up', async () => {
    const lines = (await readFile(join(dir, 'egress.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { host: string; allowed: boolean });
    expect(lines.some((l) => l.host === 'allowed.test' && l.allowed)).toBe(true);
    expect(lines.some((l) => l.host === 'exfiltrate-this.attacker.test' && !l.allowed)).toBe(true);
    const summary = proxy.summary();
    expect(summary).toContainEqual(
      expect.objectContaining({ destination: 'gitlab.test:443', verdict: 'allowed', count: 1 }),
    );
    expect(summary).toContainEqual(
      expect.objectContaining({
        destination: `a.wild.test:${httpPort}`,
        verdict: 'denied',
        reason: expect.stringContaining('10.0.0.7'),
      }),
    );
    expect(proxy.decisions().length).toBe(lines.length);
  });
});

describe('a proxy reachable over TCP by more than its run (the network shape)', () => {
  let upstream: Server;
  let port: number;
  let guarded: EgressProxy;
  const credentials = { username: 'cospec', password: 'run-secret-1234' };

  beforeAll(async () => {
    upstream = createServer((req, res) => res.end(`plain ${req.headers.host}\n`));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    port = (upstream.address() as AddressInfo).port;
    guarded = await startEgressProxy({
      allowlist: [`allowed.test:${port}`],
      mayReachPrivate: () => true,
      credentials,
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    });
  });

  afterAll(async () => {
    await guarded?.close();
    upstream?.close();
  });

  const withCredentials = (user: string, password: string) =>
    guarded.address.replace('http://', `http://${user}:${password}@`);

  it('serves requests that carry the run’s credentials, by absolute URI and CONNECT', async () => {
    expect(
      (await curl(['-x', withCredentials('cospec', credentials.password), `http://allowed.test:${port}/`])).out,
    ).toContain('plain allowed.test');
    expect(
      (await curl(['-p', '-x', withCredentials('cospec', credentials.password), `http://allowed.test:${port}/`])).out,
    ).toContain('plain allowed.test');
  });

  it('answers 407 without them or with wrong ones, and logs the refusal', async () => {
    expect(
      await rawStatus(guarded.address, `GET http://allowed.test:${port}/ HTTP/1.1\r\nhost: allowed.test\r\n\r\n`),
    ).toMatch(/^HTTP\/1.1 407/);
    expect(
      await rawStatus(guarded.address, `CONNECT allowed.test:${port} HTTP/1.1\r\nhost: allowed.test\r\n\r\n`),
    ).toMatch(/^HTTP\/1.1 407/);
    const wrong = await curl(['-sS', '-x', withCredentials('cospec', 'guess'), `http://allowed.test:${port}/`]);
    expect(wrong.out).not.toContain('plain allowed.test');
    expect(
      guarded
        .decisions()
        .filter((d) => !d.allowed)
        .map((d) => d.reason),
    ).toContainEqual(expect.stringContaining('proxy credentials'));
    // Not a destination the user could allow, so not in the run's list of denied destinations.
    expect(guarded.summary().filter((e) => e.verdict === 'denied')).toEqual([]);
  });
});

describe('a listener the proxy adopts (the relay’s, handed off)', () => {
  it('serves its connections under the same rules, and closes it with the proxy', async () => {
    const site = createServer((_req, res) => res.end('hello from outside\n'));
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const sitePort = (site.address() as AddressInfo).port;
    const dir = await mkdtemp(join(tmpdir(), 'cospec-adopt-'));
    const proxy = await startEgressProxy({
      socketPath: join(dir, 'proxy.sock'),
      allowlist: [`allowed.test:${sitePort}`],
      mayReachPrivate: () => true,
      lookup: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const listener = createNetServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const via = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      proxy.adopt(listener);
      expect((await curl(['-p', '-x', via, `http://allowed.test:${sitePort}/`])).out).toContain('hello from outside');
      expect((await curl(['-x', via, `http://allowed.test:${sitePort}/`])).out).toContain('hello from outside');
      const denied = await curl(['-f', '-p', '-x', via, `http://other.test:${sitePort}/`]);
      expect(denied.code).not.toBe(0);
      expect(proxy.decisions().map((d) => `${d.host} ${d.allowed}`)).toEqual([
        'allowed.test true',
        'allowed.test true',
        'other.test false',
      ]);
      await proxy.close();
      expect(listener.listening).toBe(false);
      // Adopted after the proxy closed: closed at once, never served.
      const late = createNetServer();
      await new Promise<void>((resolve) => late.listen(0, '127.0.0.1', resolve));
      proxy.adopt(late);
      expect(late.listening).toBe(false);
    } finally {
      listener.close();
      site.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
