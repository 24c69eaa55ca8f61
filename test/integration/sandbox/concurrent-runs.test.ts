import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, EGRESS_SHAPES, runCommand, sandboxSkipReason, type Harness } from './harness';

/**
 * Several runs at once, each isolated: two containers run side by side, each with its own
 * proxy and allowlist; one may reach a host the other may not, and neither sees the other's files.
 */

const skip = await sandboxSkipReason();
if (skip) console.warn(`[sandbox] skipping concurrent run tests: ${skip}`);

describe.skipIf(skip).each(EGRESS_SHAPES)('concurrent sandbox runs (%s shape)', (shape) => {
  let harness: Harness;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('reached\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // Run a's entry names loopback (the test server): opened as an admin's policy would.
    harness = await createHarness({ egressShape: shape, mayReachPrivate: () => true });
  });

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await harness?.cleanup();
  });

  it('keeps each run to its own allowlist and its own workspace', async () => {
    // Each writes a marker into its workspace, waits for the other's, and looks for it.
    const script = (me: string) => `
echo ${me} > /workspace/marker-${me}
curl -sS -f -m 45 http://127.0.0.1:${port}/ 2>&1 || true
ls /workspace; ls /cospec/run
find / -xdev -name 'marker-*' 2>/dev/null | sort
`;
    const [a, b] = await Promise.all([
      runCommand(harness, script('a'), { allowlist: [`127.0.0.1:${port}`] }),
      runCommand(harness, script('b'), { allowlist: [] }),
    ]);
    expect(a.result.exitCode, a.lines.join('\n')).toBe(0);
    expect(b.result.exitCode, b.lines.join('\n')).toBe(0);
    expect(a.lines).toContain('reached');
    expect(b.lines).not.toContain('reached');
    expect(b.lines.join('\n')).toMatch(/403/);
    expect(a.lines.join('\n')).not.toContain('marker-b');
    expect(b.lines.join('\n')).not.toContain('marker-a');
    expect(a.result.egress).toEqual([
      expect.objectContaining({ destination: `127.0.0.1:${port}`, verdict: 'allowed' }),
    ]);
    expect(b.result.egress).toEqual([expect.objectContaining({ destination: `127.0.0.1:${port}`, verdict: 'denied' })]);
    // Two containers starting side by side on a busy machine: curl's 45 s and the test's 150 s are
    // time for the machine, not for the proxy (a denied request is answered at once either way).
  }, 150_000);
});
