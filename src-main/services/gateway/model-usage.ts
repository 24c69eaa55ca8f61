import { z } from 'zod';

/**
 * Reads what a model call cost from its response as it streams past, without changing a byte:
 * plain JSON (buffered up to a bound) and server-sent events (line by line). Anthropic reports
 * usage in `message_start` (input, and output so far) and `message_delta` (cumulative output);
 * OpenAI's Responses API in `response.completed` (or `.incomplete` / `.failed`), chat completions
 * in a final chunk's `usage`. Values are cumulative, so the largest seen per field wins.
 */

export interface UsageSample {
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

export interface UsageTap {
  write(chunk: Buffer): void;
  /** The usage the response reported, or undefined when it reported none. */
  end(): UsageSample | undefined;
}

const MAX_JSON_BYTES = 8 * 1024 * 1024;
const MAX_SSE_LINE = 1024 * 1024;

const count = z.number().int().nonnegative().optional();
const AnthropicUsage = z.object({
  input_tokens: count,
  output_tokens: count,
  cache_creation_input_tokens: count.nullable(),
  cache_read_input_tokens: count.nullable(),
});
const OpenAiUsage = z.object({
  input_tokens: count,
  output_tokens: count,
  input_tokens_details: z.object({ cached_tokens: count }).nullish(),
  // Chat completions.
  prompt_tokens: count,
  completion_tokens: count,
  prompt_tokens_details: z.object({ cached_tokens: count }).nullish(),
});
const model = z.string().max(200).optional();

type Fields = { input: number; output: number; cacheWrite: number; cacheRead: number; model: string };

function anthropicFrom(event: unknown, f: Fields): boolean {
  const o = z
    .object({
      type: z.string().optional(),
      model,
      usage: AnthropicUsage.optional(),
      message: z.object({ model, usage: AnthropicUsage.optional() }).optional(),
    })
    .safeParse(event);
  if (!o.success) return false;
  const usage = o.data.type === 'message_start' ? o.data.message?.usage : o.data.usage;
  const name = o.data.type === 'message_start' ? o.data.message?.model : o.data.model;
  if (name) f.model = name;
  if (!usage) return false;
  f.input = Math.max(f.input, usage.input_tokens ?? 0);
  f.output = Math.max(f.output, usage.output_tokens ?? 0);
  f.cacheWrite = Math.max(f.cacheWrite, usage.cache_creation_input_tokens ?? 0);
  f.cacheRead = Math.max(f.cacheRead, usage.cache_read_input_tokens ?? 0);
  return true;
}

function openAiFrom(event: unknown, f: Fields): boolean {
  const o = z
    .object({
      type: z.string().optional(),
      model,
      usage: OpenAiUsage.nullish(),
      response: z.object({ model, usage: OpenAiUsage.nullish() }).optional(),
    })
    .safeParse(event);
  if (!o.success) return false;
  const inResponse = /^response\./.test(o.data.type ?? '');
  const usage = inResponse ? o.data.response?.usage : o.data.usage;
  const name = inResponse ? o.data.response?.model : o.data.model;
  if (name) f.model = name;
  if (!usage) return false;
  f.input = Math.max(f.input, usage.input_tokens ?? usage.prompt_tokens ?? 0);
  f.output = Math.max(f.output, usage.output_tokens ?? usage.completion_tokens ?? 0);
  f.cacheRead = Math.max(
    f.cacheRead,
    usage.input_tokens_details?.cached_tokens ?? usage.prompt_tokens_details?.cached_tokens ?? 0,
  );
  return true;
}

/** A tap for one response of `api`, given its content type. */
export function createUsageTap(api: 'anthropic' | 'openai', contentType: string): UsageTap {
  const f: Fields = { input: 0, output: 0, cacheWrite: 0, cacheRead: 0, model: '' };
  let reported = false;
  const take = (event: unknown) => {
    if (api === 'anthropic' ? anthropicFrom(event, f) : openAiFrom(event, f)) reported = true;
  };
  const parse = (text: string) => {
    try {
      take(JSON.parse(text));
    } catch {
      // Not JSON (a keep-alive, a truncated body): it reports nothing.
    }
  };
  const result = (): UsageSample | undefined =>
    reported
      ? {
          model: f.model,
          // Anthropic counts cache writes and reads apart from input_tokens; OpenAI includes them.
          inputTokens: api === 'anthropic' ? f.input + f.cacheWrite + f.cacheRead : f.input,
          outputTokens: f.output,
          cachedInputTokens: f.cacheRead,
        }
      : undefined;

  if (/^text\/event-stream/i.test(contentType)) {
    let pending = '';
    let data: string[] = [];
    let overlong = false;
    const line = (text: string) => {
      if (text === '') {
        // Only events that can carry usage are parsed; content deltas are most of the stream.
        const joined = data.join('\n');
        if (joined.includes('"usage"') || joined.includes('"model"')) parse(joined);
        data = [];
      } else if (text.startsWith('data:')) data.push(text.slice(text.startsWith('data: ') ? 6 : 5));
    };
    return {
      write(chunk) {
        pending += chunk.toString('utf8');
        let at: number;
        while ((at = pending.search(/\r?\n/)) >= 0) {
          const text = pending.slice(0, at);
          pending = pending.slice(at + (pending[at] === '\r' ? 2 : 1));
          if (overlong) overlong = false;
          else line(text);
        }
        // A line longer than any usage event is skipped, not buffered without end.
        if (pending.length > MAX_SSE_LINE) {
          pending = '';
          overlong = true;
        }
      },
      end() {
        if (pending && !overlong) line(pending);
        line('');
        return result();
      },
    };
  }

  const chunks: Buffer[] = [];
  let size = 0;
  return {
    write(chunk) {
      if (size > MAX_JSON_BYTES) return;
      size += chunk.length;
      chunks.push(chunk);
    },
    end() {
      if (size <= MAX_JSON_BYTES && /json/i.test(contentType)) parse(Buffer.concat(chunks).toString('utf8'));
      return result();
    },
  };
}
