import type { IncomingMessage } from 'node:http';

const MAX_BODY = 5 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Parameters as Grape takes them: JSON, form-encoded or query. Form arrays (`labels[]=a`) become
 * arrays; the query fills what the body does not set.
 */
export function parseParams(
  contentType: string | undefined,
  raw: Buffer,
  query: URLSearchParams,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const addPairs = (pairs: URLSearchParams) => {
    for (const [key, value] of pairs) {
      if (key.endsWith('[]')) {
        const name = key.slice(0, -2);
        const list = Array.isArray(out[name]) ? (out[name] as unknown[]) : [];
        out[name] = [...list, value];
      } else if (/^\w+\[\w+\]$/.test(key)) {
        // position[new_path]=… as Rails reads it: a nested object.
        const [, outer = '', inner = ''] = /^(\w+)\[(\w+)\]$/.exec(key) ?? [];
        const nested = (typeof out[outer] === 'object' && out[outer] !== null ? out[outer] : {}) as Record<
          string,
          unknown
        >;
        if (!(inner in nested)) nested[inner] = value;
        out[outer] = nested;
      } else if (!(key in out)) out[key] = value;
    }
  };
  const type = (contentType ?? '').toLowerCase();
  if (raw.length > 0 && type.includes('json')) {
    const parsed: unknown = JSON.parse(raw.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(out, parsed);
  } else if (raw.length > 0) {
    addPairs(new URLSearchParams(raw.toString('utf8')));
  }
  addPairs(query);
  return out;
}

export const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
export const bool = (v: unknown): boolean | undefined =>
  v === undefined ? undefined : v === true || v === 'true' || v === '1' || v === 1;
export const int = (v: unknown): number | undefined => {
  const s = str(v);
  return s !== undefined && /^-?\d+$/.test(s) ? Number(s) : undefined;
};
/** A list given as `a,b`, an array, or `x[]=` pairs. */
export const list = (v: unknown): string[] | undefined => {
  if (v === undefined) return undefined;
  if (Array.isArray(v))
    return v
      .map(String)
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
  const s = str(v);
  return s === undefined
    ? undefined
    : s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
};
