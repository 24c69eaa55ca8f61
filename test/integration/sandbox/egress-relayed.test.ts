import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, runCommand, sandboxSkipReason, type CommandRun, type Harness } from './harness';

/**
 * The relay's own way, in real containers: where the relay's listener is not handed to the app
 * (COSPEC_EGRESS_HANDOFF=off, no perl on the host, an engine in a VM, a refused offer), relay.pl
 * carries every connection to the proxy and the same rules hold. egress-attacks.test.ts tries the
 * boundary with the hand-off in place; the hand-off's refusals: test/unit/sandbox/listener-handoff.test.ts.
 */

const skip = await sandboxSkipReason();
if (skip) console.warn(`[sandbox] skipping relayed egress tests: ${skip}`);

describe.skipIf(skip).each(['socket', 'network'] as const)('egress relayed by relay.pl (%s shape)', (shape) => {
  let harness: Harness;
  let server: Server;
  let run: CommandRun;
  const results = new Map<string, boolean>();

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('hello from outside\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    harness = await createHarness({
      egressShape: shape,
      egressHandOff: false,
      lookup: async (name) => {
        if (name === 'allowed.test' || name === 'other.test') return [{ address: '127.0.0.1', family: 4 }];
        throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      },
      mayReachPrivate: (entry) => entry === `allowed.test:${port}`,
    });
    const script = `
t() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "RESULT $name ok"; else echo "RESULT $name fail"; fi; }
t allowed_http curl -sS -f -m 10 http://allowed.test:${port}/
t allowed_connect curl -sS -f -m 10 -p http://allowed.test:${port}/
t other_domain curl -sS -f -m 10 -p http://other.test:${port}/
t relay_process sh -c 'grep -l "[r]elay\\.pl" /proc/[0-9]*/cmdline'
echo END`;
    run = await runCommand(harness, script, { allowlist: [`allowed.test:${port}`] });
    for (const line of run.lines) {
      const m = /^RESULT (\S+) (ok|fail)$/.exec(line);
      if (m) results.set(m[1]!, m[2] === 'ok');
    }
  }, 180_000);

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await harness?.cleanup();
  });

  it('reaches the allowed host and nothing else, through the relay', () => {
    expect(run.lines, run.lines.join('\n')).toContain('END');
    expect(results.get('allowed_http')).toBe(true);
    expect(results.get('allowed_connect')).toBe(true);
    expect(results.get('other_domain')).toBe(false);
    expect(harness.logs.join('\n')).not.toContain('sandbox: egress listener handed off');
    // In the socket shape the relay runs in the agent's container (in the network shape, beside it).
    if (shape === 'socket') expect(results.get('relay_process')).toBe(true);
  });
});
