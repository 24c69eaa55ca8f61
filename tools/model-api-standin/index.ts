import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A model API stand-in on loopback (see README.md): enough of Anthropic's Messages API and
 * OpenAI's Responses and Chat Completions APIs, as JSON and as server-sent event streams, for an
 * agent CLI's first requests, with usage reported the way the real APIs report it. It checks the
 * key as the real APIs do (Anthropic: x-api-key; OpenAI: Authorization: Bearer) and records every
 * request with the headers it arrived with, so a test can see which key reached it.
 */

export type StandinApi = 'anthropic' | 'openai';

export interface StandinRequest {
  api: StandinApi | 'unknown';
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  stream: boolean;
  status: number;
  /** The usage this answer reported (what the gateway should have counted). */
  usage?: { input: number; output: number; cacheRead: number; cacheWrite: number; model: string };
}

export interface ModelApiStandin {
  /** http://127.0.0.1:PORT (the same server answers both APIs; paths tell them apart). */
  url: string;
  /** Every request, in arrival order. */
  requests: StandinRequest[];
  close(): Promise<void>;
}

export interface StandinOptions {
  /** The key each API accepts; any other gets the API's 401. */
  keys: Partial<Record<StandinApi, string>>;
  /** What the model says (a single text answer, ending its turn). */
  reply?: string;
  /** Awaited before each answer (after the request is recorded): lets a test look at a waiting client. */
  beforeAnswer?: (request: StandinRequest) => Promise<void>;
  host?: string;
}

const MAX_BODY = 64 * 1024 * 1024;
/** A request naming this model gets a 400 that echoes the key it came with (as a careless API might). */
export const ECHO_KEY_MODEL = 'standin-echo-key-in-error';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parse(body: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function sse(res: ServerResponse, events: Array<[string, unknown]>): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
}

/** Token counts derived from the request (deterministic, different per request). */
function counts(body: string): { input: number; output: number; cacheRead: number; cacheWrite: number } {
  return { input: Math.max(1, Math.ceil(body.length / 4)), output: 7, cacheRead: 11, cacheWrite: 3 };
}

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`;

export async function startModelApiStandin(options: StandinOptions): Promise<ModelApiStandin> {
  const requests: StandinRequest[] = [];
  const reply = options.reply ?? 'Done.';

  const anthropic = (req: IncomingMessage, res: ServerResponse, path: string, body: string, rec: StandinRequest) => {
    if (req.headers['x-api-key'] !== options.keys.anthropic) {
      rec.status = 401;
      return json(res, 401, {
        type: 'error',
        error: { type: 'authentication_error', message: 'invalid x-api-key' },
        request_id: id('req'),
      });
    }
    const input = parse(body);
    const model = typeof input.model === 'string' ? input.model : 'claude-standin';
    if (model === ECHO_KEY_MODEL) {
      rec.status = 400;
      return json(res, 400, {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: `model not found for key ${String(req.headers['x-api-key'])}`,
        },
      });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      rec.status = 200;
      return json(res, 200, {
        data: [{ type: 'model', id: 'claude-standin', display_name: 'Stand-in', created_at: '2026-01-01T00:00:00Z' }],
        has_more: false,
        first_id: 'claude-standin',
        last_id: 'claude-standin',
      });
    }
    const c = counts(body);
    if (path === '/v1/messages/count_tokens') {
      rec.status = 200;
      return json(res, 200, { input_tokens: c.input });
    }
    rec.status = 200;
    rec.usage = { ...c, model };
    const usage = {
      input_tokens: c.input,
      cache_creation_input_tokens: c.cacheWrite,
      cache_read_input_tokens: c.cacheRead,
    };
    const msgId = id('msg');
    if (!rec.stream)
      return json(res, 200, {
        id: msgId,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'text', text: reply }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { ...usage, output_tokens: c.output },
      });
    sse(res, [
      [
        'message_start',
        {
          type: 'message_start',
          message: {
            id: msgId,
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...usage, output_tokens: 1 },
          },
        },
      ],
      ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }],
      ['ping', { type: 'ping' }],
      ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: reply } }],
      ['content_block_stop', { type: 'content_block_stop', index: 0 }],
      [
        'message_delta',
        {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: c.output },
        },
      ],
      ['message_stop', { type: 'message_stop' }],
    ]);
  };

  const openai = (req: IncomingMessage, res: ServerResponse, path: string, body: string, rec: StandinRequest) => {
    const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (bearer !== options.keys.openai) {
      rec.status = 401;
      return json(res, 401, {
        error: {
          message: 'Incorrect API key provided.',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
    }
    const input = parse(body);
    const model = typeof input.model === 'string' ? input.model : 'gpt-standin';
    if (req.method === 'GET' && path === '/v1/models') {
      rec.status = 200;
      return json(res, 200, {
        object: 'list',
        data: [{ id: 'gpt-standin', object: 'model', created: 0, owned_by: 'standin' }],
      });
    }
    const c = counts(body);
    rec.status = 200;
    rec.usage = { ...c, cacheWrite: 0, model };
    const created = Math.floor(Date.now() / 1000);
    if (path === '/v1/chat/completions') {
      const usage = {
        prompt_tokens: c.input,
        completion_tokens: c.output,
        total_tokens: c.input + c.output,
        prompt_tokens_details: { cached_tokens: c.cacheRead },
      };
      const chatId = id('chatcmpl');
      if (!rec.stream)
        return json(res, 200, {
          id: chatId,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
          usage,
        });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (choices: unknown[], extra: object = {}) =>
        res.write(
          `data: ${JSON.stringify({ id: chatId, object: 'chat.completion.chunk', created, model, choices, ...extra })}\n\n`,
        );
      chunk([{ index: 0, delta: { role: 'assistant', content: reply }, finish_reason: null }]);
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]);
      chunk([], { usage });
      return res.end('data: [DONE]\n\n');
    }
    const respId = id('resp');
    const item = {
      id: id('msg'),
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: reply, annotations: [] }],
    };
    const response = (status: string, output: unknown[], usage: unknown) => ({
      id: respId,
      object: 'response',
      created_at: created,
      status,
      model,
      output,
      usage,
    });
    const usage = {
      input_tokens: c.input,
      input_tokens_details: { cached_tokens: c.cacheRead },
      output_tokens: c.output,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: c.input + c.output,
    };
    if (!rec.stream) return json(res, 200, response('completed', [item], usage));
    let seq = 0;
    const ev = (type: string, data: object): [string, unknown] => [type, { type, sequence_number: seq++, ...data }];
    sse(res, [
      ev('response.created', { response: response('in_progress', [], null) }),
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
      ev('response.output_text.delta', { item_id: item.id, output_index: 0, content_index: 0, delta: reply }),
      ev('response.output_item.done', { output_index: 0, item }),
      ev('response.completed', { response: response('completed', [item], usage) }),
    ]);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      const body = await readBody(req);
      const path = url.pathname;
      const api: StandinRequest['api'] =
        path.startsWith('/v1/messages') || (req.headers['anthropic-version'] !== undefined && path === '/v1/models')
          ? 'anthropic'
          : path === '/v1/responses' || path === '/v1/chat/completions' || path === '/v1/models'
            ? 'openai'
            : 'unknown';
      const rec: StandinRequest = {
        api,
        method: req.method ?? '',
        path: path + url.search,
        headers: req.headers,
        body,
        stream: parse(body).stream === true,
        status: 404,
      };
      requests.push(rec);
      await options.beforeAnswer?.(rec);
      if (api === 'anthropic') return anthropic(req, res, path, body, rec);
      if (api === 'openai') return openai(req, res, path, body, rec);
      json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
