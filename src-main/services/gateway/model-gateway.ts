/**
 * Model gateway: how a run's agent reaches its model API without ever holding the key. The agent's
 * CLI is pointed at a plain-HTTP base URL on a reserved name (model-apis.ts); the run's egress
 * proxy hands those requests here (the same hook as the credential gateway: `handles`,
 * `handleHttpRequest`, `handleConnect`). For each request this module
 *
 * - accepts only the API paths an agent CLI needs (model-apis.ts routes), refusing and recording
 *   anything else, and CONNECT to the reserved names (no TLS is terminated for them);
 * - bounds the request body (size and arrival time) and the whole exchange (idle and total time);
 * - drops every credential-like header the agent sent (its placeholder key, a forged
 *   Authorization, cookies, organisation/project selectors) and adds the real key, read from
 *   secure storage per request, in the header the API expects;
 * - forwards over verified TLS to the real API (or an https / loopback override) and streams the
 *   answer back unchanged, reading usage from JSON and SSE bodies as they pass (model-usage.ts);
 *   error bodies, which are small, are searched for the key and masked before the agent sees them.
 *
 * It records per run the requests, the input and output tokens per API and model, and the refused
 * requests (`usage()`, RunRecord.modelUsage), and one JSON line per request in
 * `<logDir>/model-gateway.log` (method, path, status, time, tokens; never headers or bodies).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { ModelApi, ModelUsage } from '../../../src-shared/model/run';
import type { Logger } from '../../platform/logger';
import { MODEL_APIS, type ModelApiDefinition, type ModelRoute } from './model-apis';
import { createUsageTap, type UsageSample } from './model-usage';
import { normaliseHost } from '../../platform/host';
import { HOP_BY_HOP } from '../../platform/hop-by-hop';

export interface ModelApiAccess {
  api: ModelApi;
  /** The key, from secure storage; asked per request so a replaced key is used at once. */
  getKey: () => Promise<string | undefined>;
  /** Where calls go (model-apis.ts `modelUpstream`); the real API by default. */
  upstream?: string;
}

export interface ModelGatewayLimits {
  maxBodyBytes: number;
  /** How long the agent may take to send a request body. */
  bodyTimeoutMs: number;
  /** Silence on the upstream connection after which the call is dropped. */
  idleTimeoutMs: number;
  /** The longest one call may take, streaming included. */
  totalTimeoutMs: number;
}

/** Anthropic's own request limit is 32 MB; a longer silence than 5 minutes is not a model thinking. */
export const DEFAULT_MODEL_LIMITS: ModelGatewayLimits = {
  maxBodyBytes: 32 * 1024 * 1024,
  bodyTimeoutMs: 120_000,
  idleTimeoutMs: 5 * 60_000,
  totalTimeoutMs: 30 * 60_000,
};

export interface ModelGatewayOptions {
  apis: ModelApiAccess[];
  /** The run's folder; model-gateway.log is written there. */
  logDir: string;
  logger: Logger;
  limits?: Partial<ModelGatewayLimits>;
}

export interface ModelGateway {
  /** Whether the proxy must hand this destination here (the run's reserved model API names, any port). */
  handles(host: string, port: number): boolean;
  handleHttpRequest(req: IncomingMessage, res: ServerResponse): void;
  /** CONNECT to a reserved name: refused (the CLIs take plain-HTTP base URLs). */
  handleConnect(req: IncomingMessage, clientSocket: Duplex, head: Buffer): void;
  /** What the run's model calls cost so far, and what was refused. */
  usage(): ModelUsage;
  readonly logPath: string;
  close(): Promise<void>;
}

/** Headers the agent may not choose: credentials of any kind, billing selectors, hop-by-hop and framing. */
const DROPPED = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length',
  'accept-encoding',
  'cookie',
  'openai-organization',
  'openai-project',
  'anthropic-organization',
]);
const CREDENTIAL_LIKE = /auth|api-?key|token|secret|cookie|credential|password/i;
// The body goes back unchanged, so its length and encoding headers stay true.
const RESPONSE_DROPPED = new Set(
  [...DROPPED, 'set-cookie'].filter((h) => h !== 'content-length' && h !== 'accept-encoding'),
);

const MAX_ERROR_BODY = 1024 * 1024;

function defaultPort(protocol: string): number {
  return protocol === 'https:' ? 443 : 80;
}

export function createModelGateway(options: ModelGatewayOptions): ModelGateway {
  const limits = { ...DEFAULT_MODEL_LIMITS, ...options.limits };
  const byHost = new Map<string, { def: ModelApiDefinition; access: ModelApiAccess; upstream: URL }>();
  for (const access of options.apis) {
    const def = MODEL_APIS[access.api];
    byHost.set(def.sandboxHost, { def, access, upstream: new URL(access.upstream ?? def.upstream) });
  }
  const calls = new Map<string, ModelUsage['calls'][number]>();
  const refused = new Map<string, ModelUsage['refused'][number]>();
  const open = new Set<{ destroy(): void }>();
  const logPath = join(options.logDir, 'model-gateway.log');
  const log: WriteStream = createWriteStream(logPath, { flags: 'a', mode: 0o600 });
  log.on('error', () => undefined);

  const line = (entry: Record<string, unknown>) =>
    log.write(JSON.stringify({ at: new Date().toISOString(), ...entry }) + '\n');

  const refuse = (
    res: ServerResponse,
    req: IncomingMessage,
    api: string,
    target: string,
    status: number,
    reason: string,
  ) => {
    req.resume();
    const key = `${api} ${target} ${reason}`;
    const entry = refused.get(key);
    if (entry) entry.count++;
    else refused.set(key, { api, target, reason, count: 1 });
    line({ api, target, status, refused: reason });
    if (res.headersSent) return res.destroy();
    // In the API's own error shape, so the agent's CLI shows the reason.
    const message = `coSPEC model gateway: ${reason}`;
    const body =
      api === 'openai'
        ? { error: { message, type: 'permission_error', code: 'cospec_refused' } }
        : { type: 'error', error: { type: status === 413 ? 'request_too_large' : 'permission_error', message } };
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const account = (api: ModelApi, sample: UsageSample | undefined) => {
    const model = sample?.model ?? '';
    const key = `${api} ${model}`;
    const entry = calls.get(key) ?? { api, model, requests: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
    entry.requests++;
    entry.inputTokens += sample?.inputTokens ?? 0;
    entry.outputTokens += sample?.outputTokens ?? 0;
    entry.cachedInputTokens += sample?.cachedInputTokens ?? 0;
    calls.set(key, entry);
  };

  /** The request body, whole and bounded in size and time; undefined when refused (already answered). */
  const readBody = (req: IncomingMessage, res: ServerResponse, api: string, target: string) =>
    new Promise<Buffer | undefined>((resolve) => {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limits.maxBodyBytes) {
        refuse(res, req, api, target, 413, `request body over ${limits.maxBodyBytes} bytes`);
        return resolve(undefined);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const settle = (value: Buffer | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        refuse(res, req, api, target, 408, `request body not received within ${limits.bodyTimeoutMs / 1000} s`);
        settle(undefined);
      }, limits.bodyTimeoutMs);
      req.on('data', (chunk: Buffer) => {
        if (settled) return;
        size += chunk.length;
        if (size > limits.maxBodyBytes) {
          refuse(res, req, api, target, 413, `request body over ${limits.maxBodyBytes} bytes`);
          return settle(undefined);
        }
        chunks.push(chunk);
      });
      req.on('end', () => settle(Buffer.concat(chunks)));
      req.on('error', () => settle(undefined));
    });

  const forwardHeaders = (req: IncomingMessage, def: ModelApiDefinition, key: string, length: number) => {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || DROPPED.has(name) || CREDENTIAL_LIKE.test(name)) continue;
      headers[name] = value;
    }
    // Identity keeps the usage readable as it passes (no decompression of the agent's answers here).
    headers['accept-encoding'] = 'identity';
    headers['content-length'] = String(length);
    return { ...headers, ...def.authHeaders(key) };
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return refuse(res, req, '-', String(req.url ?? '').slice(0, 200), 400, 'malformed request target');
    }
    // The one host form of src-main/platform/host.ts, as the egress proxy compares it.
    const host = normaliseHost(url.hostname) ?? url.hostname.slice(0, 200);
    const route = byHost.get(host);
    const target = `${req.method ?? ''} ${url.pathname.slice(0, 200)}`;
    if (!route) return refuse(res, req, host, target, 403, `${host} is not a model API of this run`);
    const { def, access, upstream } = route;
    if (url.protocol !== 'http:' || (url.port && Number(url.port) !== 80))
      return refuse(res, req, def.api, target, 403, `use ${def.sandboxHost} over plain http on port 80`);
    const match: ModelRoute | undefined = def.routes.find((r) => r.method === req.method && r.path.test(url.pathname));
    if (!match) return refuse(res, req, def.api, target, 403, 'not a call an agent needs');
    if (url.search.length > 2048) return refuse(res, req, def.api, target, 414, 'query string too long');

    const body = await readBody(req, res, def.api, target);
    if (!body) return;
    const key = await access.getKey().catch(() => undefined);
    if (!key)
      return refuse(res, req, def.api, target, 401, `no ${def.label} key is stored; add it under Settings → Agents`);

    const prefix = upstream.pathname.replace(/\/+$/, '');
    const client = upstream.protocol === 'https:' ? httpsRequest : httpRequest;
    const up = client({
      protocol: upstream.protocol,
      hostname: upstream.hostname.replace(/^\[|\]$/g, ''),
      port: upstream.port ? Number(upstream.port) : defaultPort(upstream.protocol),
      method: req.method,
      path: prefix + url.pathname + url.search,
      headers: { host: upstream.host, ...forwardHeaders(req, def, key, body.length) },
      // Node verifies the API's certificate against its CA store; nothing here turns that off.
      timeout: limits.idleTimeoutMs,
    });
    open.add(up);
    const total = setTimeout(
      () => up.destroy(new Error(`the call took longer than ${limits.totalTimeoutMs / 60_000} min`)),
      limits.totalTimeoutMs,
    );
    const done = () => {
      clearTimeout(total);
      open.delete(up);
    };
    up.on('timeout', () => up.destroy(new Error(`no data from the API for ${limits.idleTimeoutMs / 1000} s`)));
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    up.on('error', (error) => {
      done();
      line({ api: def.api, target, status: 502, durationMs: Date.now() - started, error: error.message });
      options.logger.warn('model gateway: call failed', { api: def.api, error: error.message });
      if (!res.headersSent)
        res.writeHead(502, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            type: 'error',
            error: { type: 'api_error', message: `coSPEC model gateway: ${error.message}` },
          }),
        );
      else res.destroy();
    });
    up.on('response', (answer) => {
      const status = answer.statusCode ?? 502;
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(answer.headers))
        if (value !== undefined && !RESPONSE_DROPPED.has(name)) headers[name] = value;
      const contentType = String(answer.headers['content-type'] ?? '');
      const tap = match.usage === 'none' ? undefined : createUsageTap(match.usage, contentType);
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        done();
        const sample = tap?.end();
        account(def.api, sample);
        line({
          api: def.api,
          target,
          status,
          durationMs: Date.now() - started,
          ...(sample
            ? { model: sample.model, inputTokens: sample.inputTokens, outputTokens: sample.outputTokens }
            : {}),
        });
      };
      if (status >= 400) {
        // Small, and the one place an API might echo what it was sent: masked before it goes back.
        const chunks: Buffer[] = [];
        let size = 0;
        answer.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= MAX_ERROR_BODY) chunks.push(chunk);
        });
        answer.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8').split(key).join('[key]');
          tap?.write(Buffer.from(text));
          delete headers['content-length'];
          res.writeHead(status, headers).end(text);
          finish();
        });
        answer.on('error', () => res.destroy());
        return;
      }
      res.writeHead(status, headers);
      answer.on('data', (chunk: Buffer) => {
        tap?.write(chunk);
        if (!res.write(chunk)) answer.pause();
      });
      res.on('drain', () => answer.resume());
      answer.on('end', () => {
        res.end();
        finish();
      });
      answer.on('error', () => {
        res.destroy();
        finish();
      });
    });
    up.end(body);
  };

  return {
    logPath,
    handles: (host) => byHost.has(normaliseHost(host) ?? ''),
    handleHttpRequest(req, res) {
      serve(req, res).catch((error: unknown) => {
        options.logger.error('model gateway: request failed', {
          error: error instanceof Error ? error.message : String(error),
        });
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
    },
    handleConnect(req, clientSocket) {
      const target = `CONNECT ${String(req.url ?? '').slice(0, 200)}`;
      const host = String(req.url ?? '').replace(/:\d+$/, '');
      const api = byHost.get(host)?.def.api ?? host;
      const reason = 'model APIs are served over plain http inside the sandbox; no TLS is terminated for them';
      const key = `${api} ${target} ${reason}`;
      const entry = refused.get(key);
      if (entry) entry.count++;
      else refused.set(key, { api, target, reason, count: 1 });
      line({ api, target, status: 403, refused: reason });
      clientSocket.on('error', () => clientSocket.destroy());
      clientSocket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\ncoSPEC model gateway: ${reason}\n`,
      );
    },
    usage: () => ({
      calls: [...calls.values()].map((c) => ({ ...c })),
      refused: [...refused.values()].map((r) => ({ ...r })),
    }),
    async close() {
      for (const request of open) request.destroy();
      await new Promise<void>((resolve) => log.end(resolve));
    },
  };
}
