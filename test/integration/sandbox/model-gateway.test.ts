import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelApiAccess } from '../../../src-main/services/gateway/model-gateway';
import type { ContainerHandle } from '../../../src-main/services/sandbox';
import { runPaths } from '../../../src-main/services/runs/store';
import { ECHO_KEY_MODEL, startModelApiStandin, type ModelApiStandin } from '../../../tools/model-api-standin';
import { createHarness, EGRESS_SHAPES, runCommand, sandboxSkipReason, type Harness } from './harness';
import { inspectEnv, processTables, secretsInExport, secretsInFolders } from './model-keys';

/**
 * Model keys never enter the sandbox: a real container in each egress shape calls its model APIs
 * through the run's model gateway (plain-HTTP base URLs on reserved names, handed by the egress
 * proxy to the gateway, which adds the key and forwards to a model API stand-in on loopback). The
 * test asserts the real keys reached the stand-in and nothing the agent forged did; that the
 * container's environment, files and process list never held them; that calls outside the API
 * paths an agent needs, TLS to the reserved names and the real API host are refused and recorded;
 * that an allowlisted API host reached directly gets no key; and that the usage the stand-in
 * reported is what the run recorded.
 */

const skip = await sandboxSkipReason();
if (skip) console.warn(`[sandbox] skipping the model gateway suite: ${skip}`);

const ANTHROPIC_KEY = `sk-ant-api03-REAL-${randomBytes(16).toString('hex')}`;
const OPENAI_KEY = `sk-proj-REAL-${randomBytes(16).toString('hex')}`;
const SECRETS = [ANTHROPIC_KEY, OPENAI_KEY];
const FORGED = 'sk-ant-forged-by-the-agent';

let standin: ModelApiStandin | undefined;

beforeAll(async () => {
  if (!skip) standin = await startModelApiStandin({ keys: { anthropic: ANTHROPIC_KEY, openai: OPENAI_KEY } });
});
afterAll(async () => {
  await standin?.close();
});

function modelApis(): ModelApiAccess[] {
  if (!standin) throw new Error('no stand-in');
  return [
    { api: 'anthropic', getKey: async () => ANTHROPIC_KEY, upstream: standin.url },
    { api: 'openai', getKey: async () => OPENAI_KEY, upstream: standin.url },
  ];
}

/** The agent: every call an adapter makes, forged credentials, and the calls it must not make. */
function agentScript(standinPort: string): string {
  const A = 'http://anthropic.model.cospec.internal';
  const O = 'http://openai.model.cospec.internal';
  const msg = (extra = '') =>
    `'{"model":"claude-standin","max_tokens":5,"messages":[{"role":"user","content":"hello"}]${extra}}'`;
  const ah = `-H 'anthropic-version: 2023-06-01' -H 'content-type: application/json'`;
  const forged = `-H 'x-api-key: ${FORGED}' -H 'authorization: Bearer forged-bearer' -H 'cookie: session=forged' -H 'openai-organization: org-forged'`;
  return [
    // name=HTTP status and the CONNECT status (for https through the proxy), body saved.
    `call() { name=$1; shift; r=$(curl -sS -o "/tmp/$name.out" -w '%{http_code} %{http_connect}' "$@" 2>/dev/null); echo "CALL $name $r"; }`,
    `call a_json ${forged} ${ah} -d ${msg()} ${A}/v1/messages`,
    `call a_sse ${forged} ${ah} -d ${msg(',"stream":true')} '${A}/v1/messages?beta=true'`,
    `call a_count ${ah} -d ${msg()} ${A}/v1/messages/count_tokens`,
    `call a_models ${ah} ${A}/v1/models`,
    `call o_json ${forged} -H 'content-type: application/json' -d '{"model":"gpt-standin","input":"hello"}' ${O}/v1/responses`,
    `call o_sse -H 'content-type: application/json' -d '{"model":"gpt-standin","input":"hello","stream":true}' ${O}/v1/responses`,
    `call o_chat -H 'content-type: application/json' -d '{"model":"gpt-standin","messages":[],"stream":true,"stream_options":{"include_usage":true}}' ${O}/v1/chat/completions`,
    `call e_echo ${ah} -d '{"model":"${ECHO_KEY_MODEL}","max_tokens":5,"messages":[]}' ${A}/v1/messages`,
    // Refused by the gateway: other API paths and methods.
    `call r_files ${A}/v1/files`,
    `call r_batches -X POST ${ah} -d '{}' ${A}/v1/messages/batches`,
    `call r_delete -X DELETE ${O}/v1/responses/resp_1`,
    // Refused by the proxy: a reserved name that is not this run's API, TLS to a reserved name, the real API host.
    `call r_other -d '{}' http://gemini.model.cospec.internal/v1/messages`,
    `call r_tls ${ah} -d ${msg()} https://anthropic.model.cospec.internal/v1/messages`,
    `call r_direct ${ah} -d ${msg()} https://api.anthropic.com/v1/messages`,
    // Allowlisted (api.anthropic.com:PORT resolves to the stand-in here): reached, but without the key.
    `call r_allowed ${ah} -d ${msg()} http://api.anthropic.com:${standinPort}/v1/messages`,
    'for f in a_json a_sse o_json o_sse e_echo; do echo "BODY $f $(tr -d "\\n" < /tmp/$f.out | head -c 4000)"; done',
    'echo calls-done',
    // Stay alive (bounded) while the test looks at the container from outside.
    'i=0; while [ ! -f /tmp/inspected ] && [ $i -lt 900 ]; do sleep 0.2; i=$((i+1)); done',
  ].join('\n');
}

/** Waits (bounded by the test's timeout) until the agent printed `marker`. */
async function untilLine(lines: string[], marker: string): Promise<void> {
  while (!lines.includes(marker)) await new Promise((r) => setTimeout(r, 100));
}

interface Inspection {
  env: string[];
  exported: { found: string[]; bytes: number };
  inFolders: string[];
  processes: { text: string; processes: number };
}

/** Everything the container holds, searched for the real keys from outside, then lets the agent end. */
async function inspect(c: ContainerHandle, lines: string[]): Promise<Inspection> {
  await untilLine(lines, 'calls-done');
  const result: Inspection = {
    env: await inspectEnv(c.id),
    exported: await secretsInExport(c.id, SECRETS),
    inFolders: await secretsInFolders(c, ['/tmp', '/workspace', '/cospec/run'], SECRETS),
    processes: await processTables(c),
  };
  await c.exec(['touch', '/tmp/inspected']);
  return result;
}

/** Each call's HTTP status, or "connect NNN" when the proxy answered its CONNECT (https) with an error. */
function calls(lines: string[]): Record<string, string> {
  return Object.fromEntries(
    lines.flatMap((l) => {
      const m = /^CALL (\S+) (\d{3}) (\d{3})$/.exec(l);
      if (!m) return [];
      return [[m[1]!, m[3] !== '000' && m[3] !== '200' ? `connect ${m[3]}` : m[2]!]];
    }),
  );
}

const bodyOf = (lines: string[], name: string) =>
  lines.find((l) => l.startsWith(`BODY ${name} `))?.slice(`BODY ${name} `.length) ?? '';

for (const shape of EGRESS_SHAPES) {
  describe.skipIf(skip)(`model keys stay outside the sandbox (${shape} egress)`, () => {
    let h: Harness | undefined;
    beforeAll(async () => {
      h = await createHarness({
        egressShape: shape,
        // The real API host, allowlisted on the stand-in's port only, resolves to the stand-in, which
        // an admin's policy opened to loopback (PolicyGuard.mayReachPrivate).
        mayReachPrivate: (entry) => entry.startsWith('api.anthropic.com:'),
        lookup: async (host) =>
          host === 'api.anthropic.com' ? [{ address: '127.0.0.1', family: 4 }] : Promise.reject(new Error('ENOTFOUND')),
      });
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('adds the real key outside, strips forged credentials, refuses other calls, records usage; the container never holds a key', async () => {
      if (!h || !standin) throw new Error('no harness');
      const port = new URL(standin.url).port;
      const before = standin.requests.length;
      const lines: string[] = [];
      let seen: Inspection | undefined;
      const { result, runId } = await runCommand(h, agentScript(port), {
        allowlist: [`api.anthropic.com:${port}`],
        modelApis: modelApis(),
        timeoutMs: 300_000,
        onLine: (l) => lines.push(l),
        inside: async (c) => {
          seen = await inspect(c, lines);
        },
      });
      const agentLines = lines.join('\n');
      expect(result.exitCode, agentLines).toBe(0);
      const got = calls(lines);

      // The adapter's calls went through, answered by the stand-in with the real key.
      expect(got, agentLines).toMatchObject({
        a_json: '200',
        a_sse: '200',
        a_count: '200',
        a_models: '200',
        o_json: '200',
        o_sse: '200',
        o_chat: '200',
      });
      expect(bodyOf(lines, 'a_json')).toContain('"text":"Done."');
      expect(bodyOf(lines, 'a_sse')).toContain('event: message_stop');
      expect(bodyOf(lines, 'o_sse')).toContain('event: response.completed');
      const received = standin.requests.slice(before);
      const viaGateway = received.filter((r) => !r.headers.host?.startsWith('api.anthropic.com'));
      expect(viaGateway.map((r) => `${r.method} ${r.path}`)).toEqual([
        'POST /v1/messages',
        'POST /v1/messages?beta=true',
        'POST /v1/messages/count_tokens',
        'GET /v1/models',
        'POST /v1/responses',
        'POST /v1/responses',
        'POST /v1/chat/completions',
        'POST /v1/messages',
      ]);
      for (const r of viaGateway) {
        const anthropic = r.path.startsWith('/v1/messages') || r.headers['anthropic-version'] !== undefined;
        if (anthropic) {
          expect(r.headers['x-api-key'], r.path).toBe(ANTHROPIC_KEY);
          expect(r.headers.authorization, r.path).toBeUndefined();
        } else {
          expect(r.headers.authorization, r.path).toBe(`Bearer ${OPENAI_KEY}`);
          expect(r.headers['x-api-key'], r.path).toBeUndefined();
        }
        expect(r.headers.cookie, r.path).toBeUndefined();
        expect(r.headers['openai-organization'], r.path).toBeUndefined();
        expect(JSON.stringify(r.headers)).not.toContain('forged');
      }

      // An error body echoing the key comes back masked.
      expect(bodyOf(lines, 'e_echo')).toContain('[key]');
      expect(agentLines).not.toContain(ANTHROPIC_KEY);

      // Refused: by the gateway (paths, methods, TLS to a reserved name) and by the proxy (the real host).
      expect(got).toMatchObject({
        r_files: '403',
        r_batches: '403',
        r_delete: '403',
        r_other: '403',
        r_tls: 'connect 403',
        r_direct: 'connect 403',
      });
      expect(result.modelUsage?.refused.map((r) => `${r.api} ${r.target}`).sort()).toEqual([
        'anthropic CONNECT anthropic.model.cospec.internal:443',
        'anthropic GET /v1/files',
        'anthropic POST /v1/messages/batches',
        'openai DELETE /v1/responses/resp_1',
      ]);
      expect(result.egress).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ destination: 'api.anthropic.com:443', verdict: 'denied' }),
          expect.objectContaining({ destination: 'gemini.model.cospec.internal:80', verdict: 'denied' }),
        ]),
      );

      // Allowlisted and reached directly: the stand-in saw the request, without any key, and said 401.
      expect(got.r_allowed).toBe('401');
      const direct = received.filter((r) => r.headers.host?.startsWith('api.anthropic.com'));
      expect(direct).toHaveLength(1);
      expect(direct[0]?.headers['x-api-key']).toBeUndefined();

      // Usage: what the stand-in reported is what the run recorded, per API and model.
      const reported = (api: string) =>
        viaGateway
          .filter((r) => r.usage && (api === 'anthropic') === r.path.startsWith('/v1/messages'))
          .reduce(
            (sum, r) => ({
              input: sum.input + r.usage!.input + (api === 'anthropic' ? r.usage!.cacheRead + r.usage!.cacheWrite : 0),
              output: sum.output + r.usage!.output,
              cached: sum.cached + r.usage!.cacheRead,
            }),
            { input: 0, output: 0, cached: 0 },
          );
      const usage = result.modelUsage!.calls;
      const entry = (api: string, model: string) => usage.find((u) => u.api === api && u.model === model);
      expect(entry('anthropic', 'claude-standin')).toEqual({
        api: 'anthropic',
        model: 'claude-standin',
        requests: 2,
        inputTokens: reported('anthropic').input,
        outputTokens: reported('anthropic').output,
        cachedInputTokens: reported('anthropic').cached,
      });
      expect(entry('openai', 'gpt-standin')).toEqual({
        api: 'openai',
        model: 'gpt-standin',
        requests: 3,
        inputTokens: reported('openai').input,
        outputTokens: reported('openai').output,
        cachedInputTokens: reported('openai').cached,
      });
      expect(reported('anthropic').input).toBeGreaterThan(0);

      // The container never held a key: not in its configuration, files or processes.
      if (!seen) throw new Error('the container was not inspected');
      expect(seen.env.some((e) => e.startsWith('COSPEC_RUN_ID='))).toBe(true);
      for (const s of SECRETS) expect(seen.env.join('\n')).not.toContain(s);
      expect(seen.exported.bytes).toBeGreaterThan(10_000_000);
      expect(seen.exported.found).toEqual([]);
      expect(seen.inFolders).toEqual([]);
      expect(seen.processes.processes).toBeGreaterThan(1);
      expect(seen.processes.text).toContain('COSPEC_RUN_ID=');
      for (const s of SECRETS) expect(seen.processes.text).not.toContain(s);

      // Nor the run's logs on this side.
      const paths = runPaths(join(h.dir, 'runs'), runId);
      const gatewayLog = await readFile(join(paths.dir, 'model-gateway.log'), 'utf8');
      expect(gatewayLog).toContain('"target":"POST /v1/messages"');
      for (const s of SECRETS) {
        expect(gatewayLog).not.toContain(s);
        expect(h.logs.join('\n')).not.toContain(s);
      }
    }, 600_000);
  });
}
