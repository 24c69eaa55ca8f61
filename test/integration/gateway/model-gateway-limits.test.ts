import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createModelGateway, type ModelGateway } from '../../../src-main/services/gateway/model-gateway';
import { startEgressProxy, type EgressProxy } from '../../../src-main/services/sandbox';
import { startModelApiStandin, type ModelApiStandin } from '../../../tools/model-api-standin';

/**
 * The model gateway's bounds, through the real egress proxy (no container needed): a body over the
 * limit and a body that never finishes arriving are refused and recorded, and never reach the API;
 * a missing key is refused before anything is forwarded.
 */

const KEY = 'sk-ant-limits-test-key-0123456789';
let dir: string;
let standin: ModelApiStandin;
let gateway: ModelGateway;
let proxy: EgressProxy;
let haveKey = true;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cospec-model-limits-'));
  standin = await startModelApiStandin({ keys: { anthropic: KEY } });
  gateway = createModelGateway({
    apis: [{ api: 'anthropic', getKey: async () => (haveKey ? KEY : undefined), upstream: standin.url }],
    logDir: dir,
    logger: createLogger({ sinks: [memorySink()] }),
    limits: { maxBodyBytes: 64 * 1024, bodyTimeoutMs: 1000 },
  });
  proxy = await startEgressProxy({ allowlist: [], modelGateway: gateway });
});
afterAll(async () => {
  await proxy?.close();
  await gateway?.close();
  await standin?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A POST to the gateway's Messages API through the proxy; `send` writes the body. */
function post(send: (req: ReturnType<typeof request>) => void): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(proxy.address);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method: 'POST',
        path: 'http://anthropic.model.cospec.internal/v1/messages',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    send(req);
  });
}

describe('model gateway bounds', () => {
  it('refuses a body over the limit without forwarding it', async () => {
    const before = standin.requests.length;
    const res = await post((req) => req.end('x'.repeat(200 * 1024)));
    expect(res.status).toBe(413);
    expect(res.body).toContain('request body over 65536 bytes');
    expect(standin.requests.length).toBe(before);
  });

  it('refuses a body that does not finish arriving in time (a slow agent holds no connection open)', async () => {
    const before = standin.requests.length;
    let hold: ReturnType<typeof request> | undefined;
    const res = await post((req) => {
      hold = req;
      req.setHeader('content-length', '100');
      req.write('{"model":');
    });
    hold?.destroy();
    expect(res.status).toBe(408);
    expect(res.body).toContain('not received within 1 s');
    expect(standin.requests.length).toBe(before);
  });

  it('refuses a call when no key is stored, saying where to add it', async () => {
    haveKey = false;
    try {
      const before = standin.requests.length;
      const res = await post((req) => req.end('{"model":"m","max_tokens":1,"messages":[]}'));
      expect(res.status).toBe(401);
      expect(res.body).toContain('Settings → Agents');
      expect(standin.requests.length).toBe(before);
    } finally {
      haveKey = true;
    }
  });

  it('forwards a call within the bounds and records every refusal with the run', async () => {
    const res = await post((req) => req.end('{"model":"claude-standin","max_tokens":1,"messages":[]}'));
    expect(res.status).toBe(200);
    expect(gateway.usage().calls).toEqual([expect.objectContaining({ model: 'claude-standin', requests: 1 })]);
    expect(
      gateway
        .usage()
        .refused.map((r) => r.reason)
        .sort(),
    ).toEqual([
      'no Anthropic Messages API key is stored; add it under Settings → Agents',
      'request body not received within 1 s',
      'request body over 65536 bytes',
    ]);
  });
});
