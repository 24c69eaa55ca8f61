import type { ModelApi } from '../../../src-shared/model/run';

/**
 * The model APIs the model gateway (model-gateway.ts) serves to a run's agent: where each really
 * lives, the plain-HTTP base URL the agent's CLI is pointed at inside the sandbox (a reserved name
 * only the run's egress proxy knows, so no TLS is terminated and no CA is involved), how the real
 * key is sent, and the only requests an agent CLI needs. Everything else is refused.
 */

export interface ModelRoute {
  method: 'GET' | 'POST';
  /** Matched against the path without the query. */
  path: RegExp;
  /** How the response reports usage; "none" for calls that cost nothing (token counting, model lists). */
  usage: 'anthropic' | 'openai' | 'none';
}

export interface ModelApiDefinition {
  api: ModelApi;
  label: string;
  /** The real API (the default upstream). */
  upstream: string;
  /** The host the agent's CLI calls inside the sandbox (reserved: `.internal` is never delegated on the Internet). */
  sandboxHost: string;
  /** The header carrying the key, as the API expects it. */
  authHeaders(key: string): Record<string, string>;
  routes: readonly ModelRoute[];
  /** The variable the real API's key lives in outside coSPEC, named in messages. */
  keyName: string;
}

export const MODEL_APIS: Readonly<Record<ModelApi, ModelApiDefinition>> = {
  anthropic: {
    api: 'anthropic',
    label: 'Anthropic Messages API',
    upstream: 'https://api.anthropic.com',
    sandboxHost: 'anthropic.model.cospec.internal',
    authHeaders: (key) => ({ 'x-api-key': key }),
    routes: [
      { method: 'POST', path: /^\/v1\/messages$/, usage: 'anthropic' },
      { method: 'POST', path: /^\/v1\/messages\/count_tokens$/, usage: 'none' },
      { method: 'GET', path: /^\/v1\/models$/, usage: 'none' },
      { method: 'GET', path: /^\/v1\/models\/[\w.:@-]{1,200}$/, usage: 'none' },
    ],
    keyName: 'ANTHROPIC_API_KEY',
  },
  openai: {
    api: 'openai',
    label: 'OpenAI API',
    upstream: 'https://api.openai.com',
    sandboxHost: 'openai.model.cospec.internal',
    authHeaders: (key) => ({ authorization: `Bearer ${key}` }),
    routes: [
      { method: 'POST', path: /^\/v1\/responses$/, usage: 'openai' },
      { method: 'POST', path: /^\/v1\/chat\/completions$/, usage: 'openai' },
      { method: 'GET', path: /^\/v1\/models$/, usage: 'none' },
      { method: 'GET', path: /^\/v1\/models\/[\w.:@-]{1,200}$/, usage: 'none' },
    ],
    keyName: 'OPENAI_API_KEY',
  },
};

/** The base URL an agent CLI is given for this API (no trailing slash; without the version path). */
export function sandboxBaseUrl(api: ModelApi): string {
  return `http://${MODEL_APIS[api].sandboxHost}`;
}

/** A value in the key's place where a CLI insists on one; it opens nothing (the gateway drops it). */
export const MODEL_KEY_PLACEHOLDER = 'cospec-placeholder-the-key-is-added-outside-the-sandbox';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost)$/i;

/**
 * Checks an upstream override (an organisation's own model gateway, a test stand-in): https, or
 * plain http to this machine only, since the key travels in the request.
 */
export function parseModelUpstream(value: string, api: ModelApi): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`The ${MODEL_APIS[api].label} address "${value}" is not a URL.`);
  }
  if (url.username || url.password || url.search || url.hash)
    throw new Error(`The ${MODEL_APIS[api].label} address must not carry credentials, a query or a fragment.`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname)))
    throw new Error(`The ${MODEL_APIS[api].label} address must use https (plain http only to this machine): ${value}`);
  return url.toString().replace(/\/+$/, '');
}

/** The environment variable that overrides where an API's calls go (read by the app, never by the sandbox). */
export function upstreamEnvName(api: ModelApi): string {
  return `COSPEC_${api.toUpperCase()}_API_URL`;
}

/** Where this API's calls go: the override in `env` when set (validated), else the real API. */
export function modelUpstream(api: ModelApi, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[upstreamEnvName(api)];
  return override ? parseModelUpstream(override, api) : MODEL_APIS[api].upstream;
}
