import { describe, expect, it } from 'vitest';
import { createUsageTap } from '../../../src-main/services/gateway/model-usage';

/** Usage as the APIs report it, read from bodies split at awkward places (as they arrive over TCP). */

function feed(tap: ReturnType<typeof createUsageTap>, text: string, pieces = 7) {
  const size = Math.ceil(text.length / pieces);
  for (let i = 0; i < text.length; i += size) tap.write(Buffer.from(text.slice(i, i + size)));
  return tap.end();
}

const event = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

describe('model usage from responses', () => {
  it('reads an Anthropic stream: input from message_start, cumulative output from the last message_delta', () => {
    const body = [
      event('message_start', {
        type: 'message_start',
        message: {
          model: 'claude-x',
          usage: { input_tokens: 100, output_tokens: 1, cache_creation_input_tokens: 20, cache_read_input_tokens: 300 },
        },
      }),
      event('content_block_delta', {
        type: 'content_block_delta',
        delta: { type: 'text_delta', text: '"usage" in text' },
      }),
      event('message_delta', { type: 'message_delta', usage: { output_tokens: 40 } }),
      event('message_delta', { type: 'message_delta', usage: { output_tokens: 55 } }),
      event('message_stop', { type: 'message_stop' }),
    ].join('');
    expect(feed(createUsageTap('anthropic', 'text/event-stream; charset=utf-8'), body)).toEqual({
      model: 'claude-x',
      inputTokens: 420,
      outputTokens: 55,
      cachedInputTokens: 300,
    });
  });

  it('reads an Anthropic JSON message, with CRLF-free compact JSON', () => {
    const body = JSON.stringify({ model: 'claude-y', usage: { input_tokens: 9, output_tokens: 4 } });
    expect(feed(createUsageTap('anthropic', 'application/json'), body)).toEqual({
      model: 'claude-y',
      inputTokens: 9,
      outputTokens: 4,
      cachedInputTokens: 0,
    });
  });

  it('reads an OpenAI Responses stream at response.completed, with CRLF line ends', () => {
    const body = [
      event('response.created', { type: 'response.created', response: { model: 'gpt-x', usage: null } }),
      event('response.output_text.delta', { type: 'response.output_text.delta', delta: 'hi' }),
      event('response.completed', {
        type: 'response.completed',
        response: {
          model: 'gpt-x',
          usage: { input_tokens: 50, input_tokens_details: { cached_tokens: 20 }, output_tokens: 6, total_tokens: 56 },
        },
      }),
    ]
      .join('')
      .replace(/\n/g, '\r\n');
    expect(feed(createUsageTap('openai', 'text/event-stream'), body, 13)).toEqual({
      model: 'gpt-x',
      inputTokens: 50,
      outputTokens: 6,
      cachedInputTokens: 20,
    });
  });

  it('reads OpenAI JSON responses and chat completion streams', () => {
    expect(
      feed(
        createUsageTap('openai', 'application/json'),
        JSON.stringify({ model: 'gpt-y', usage: { input_tokens: 3, output_tokens: 2 } }),
      ),
    ).toMatchObject({ inputTokens: 3, outputTokens: 2 });
    const chat =
      `data: ${JSON.stringify({ model: 'gpt-z', choices: [{ delta: { content: 'a' } }] })}\n\n` +
      `data: ${JSON.stringify({ model: 'gpt-z', choices: [], usage: { prompt_tokens: 8, completion_tokens: 5 } })}\n\n` +
      'data: [DONE]\n\n';
    expect(feed(createUsageTap('openai', 'text/event-stream'), chat)).toEqual({
      model: 'gpt-z',
      inputTokens: 8,
      outputTokens: 5,
      cachedInputTokens: 0,
    });
  });

  it('reports nothing for bodies without usage, malformed or hostile ones, and skips overlong lines', () => {
    expect(feed(createUsageTap('anthropic', 'application/json'), '{"type":"error"}')).toBeUndefined();
    expect(feed(createUsageTap('openai', 'application/json'), 'not json')).toBeUndefined();
    expect(
      feed(
        createUsageTap('anthropic', 'application/json'),
        JSON.stringify({ usage: { input_tokens: -5, output_tokens: 'many' } }),
      ),
    ).toBeUndefined();
    const long = `data: ${'x'.repeat(2 * 1024 * 1024)}\n\n`;
    const after = event('message_delta', { type: 'message_delta', usage: { output_tokens: 2 } });
    expect(feed(createUsageTap('anthropic', 'text/event-stream'), long + after, 40)).toMatchObject({ outputTokens: 2 });
  });
});
