import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startServicesWithStandIn,
  type ServicesWithStandIn,
  type TestServices,
} from '../../support/services-with-standin';
import { sandboxSkipReason } from '../sandbox/harness';

/**
 * From blocked to allowed with every real part: a run's agent (in a real container, behind the
 * real egress proxy) asks for a host that is not on the allowlist and is denied; the run shows the
 * denial with the request that asked; `runs.rerun` with that destination adds it to the user's
 * allowed destinations and starts the same task, whose agent now gets through. The host is a
 * server of this test on loopback, which only an admin's policy may open to a sandbox, so the
 * policy here allows private destinations (as an organization with an internal registry would).
 */
const skip = await sandboxSkipReason();
if (skip) console.warn(`[runs] skipping allow-and-rerun tests: ${skip}`);

let fixture: ServicesWithStandIn;
let services: TestServices;
let accountId: string;
let server: Server;
let port = 0;
const hits: string[] = [];

describe.skipIf(skip)('Allow and run again, with a real sandbox', () => {
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.end('reached\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    fixture = await startServicesWithStandIn({
      prefix: 'rerun',
      policy: { version: 1, egress: { allowPrivateDestinations: true } },
    });
    ({ services, accountId } = fixture);
  }, 120_000);

  afterAll(async () => {
    await fixture?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('denies the host, shows what asked, then allows it for the user and runs the same task again', async () => {
    const destination = `127.0.0.1:${port}`;
    const task = 'Fetch the internal index';
    const first = await services.handlers.runs.start({
      accountId,
      projectPath: 'acme/web-app',
      task,
      // The answer is printed, never fatal: the agent's exit code says nothing about the proxy.
      agent: { kind: 'command', command: `curl -s -m 20 http://${destination}/simple/index || true` },
      allow: [],
    });
    const denied = await services.internal.runs.orchestrator.whenDone(first.id);
    expect(denied.state, denied.detail).toBe('succeeded');
    const attempt = denied.egress.find((e) => e.destination === destination);
    expect(attempt).toMatchObject({ verdict: 'denied', allowable: true });
    expect(attempt?.requests).toContain(`GET http://${destination}/simple/index`);
    expect(hits).toEqual([]);

    const again = await services.handlers.runs.rerun(first.id, { allow: [destination] });
    expect(again.id).not.toBe(first.id);
    expect(again.spec.task).toBe(task);
    const allowed = await services.internal.runs.orchestrator.whenDone(again.id);
    expect(allowed.state, allowed.detail).toBe('succeeded');
    expect(allowed.allowlist).toContain(destination);
    expect(allowed.egress.find((e) => e.destination === destination)).toMatchObject({ verdict: 'allowed' });
    expect(hits).toEqual(['GET /simple/index']);
    // Kept where Settings keeps it, so later runs may use it too.
    expect((await services.handlers.settings.get()).egress.user).toContain(destination);
  }, 300_000);
});
