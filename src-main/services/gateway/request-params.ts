/**
 * Every parameter GitLab could read from one API request, however the agent encoded it: Grape
 * takes them from the query string and from a JSON, form-urlencoded or multipart body (Rack splits
 * forms on "&" and, in older versions, ";"). Nothing here decides anything; api-guard.ts does.
 *
 * The result is deliberately redundant: `params` pairs each value with its key (for checks on
 * named fields), and `texts` holds every string GitLab might run through its Markdown and quick
 * action code — each value, each key, every JSON string literal found anywhere in the body (so a
 * JSON parser laxer than JavaScript's is covered too) and the raw body itself (which is where a
 * multipart part or a text/plain body shows its lines).
 */

export interface RequestParams {
  /** (key, value) pairs; a nested key keeps its last segment ("merge_request[target_project_id]" → "target_project_id"). */
  params: Array<{ key: string; value: string }>;
  texts: string[];
}

/** The body claims a format it does not have; `texts` still holds what could be read from it. */
export class MalformedBodyError extends Error {
  constructor(
    message: string,
    readonly texts: string[] = [],
  ) {
    super(message);
  }
}

/** Rack's decoding of a form component: "+" is a space, %XX a byte (invalid escapes stay as written). */
function formDecode(s: string): string {
  const bytes: number[] = [];
  const raw = Buffer.from(s.replace(/\+/g, ' '), 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const hex = raw.subarray(i + 1, i + 3).toString('latin1');
    if (raw[i] === 0x25 && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(raw[i]!);
  }
  return Buffer.from(bytes).toString('utf8');
}

const lastSegment = (key: string) => /\[([^\]]*)\]$/.exec(key)?.[1] || key.replace(/\[.*$/, '');

function formPairs(text: string): Array<{ key: string; value: string }> {
  const out: Array<{ key: string; value: string }> = [];
  for (const part of text.split(/[&;]/)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = formDecode(eq < 0 ? part : part.slice(0, eq));
    out.push({ key, value: eq < 0 ? '' : formDecode(part.slice(eq + 1)) });
  }
  return out;
}

function walkJson(value: unknown, key: string, out: RequestParams): void {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    out.params.push({ key, value: String(value) });
    out.texts.push(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) walkJson(item, key, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.texts.push(k);
      walkJson(v, k, out);
    }
  }
}

function multipartPairs(body: Buffer, contentType: string): Array<{ key: string; value: string }> {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const mark = boundary?.[1] ?? boundary?.[2];
  if (!mark) throw new MalformedBodyError('multipart body without a boundary', [body.toString('utf8')]);
  const out: Array<{ key: string; value: string }> = [];
  for (const part of body.toString('utf8').split(`--${mark}`).slice(1)) {
    if (part.startsWith('--')) break;
    const split = /\r?\n\r?\n/.exec(part);
    if (!split) continue;
    const headers = part.slice(0, split.index);
    const name = /name="([^"]*)"|name=([^;\s]+)/i.exec(headers);
    const content = part.slice(split.index + split[0].length).replace(/\r?\n$/, '');
    out.push({ key: name?.[1] ?? name?.[2] ?? '', value: content });
  }
  return out;
}

/** Every JSON string literal in `text`, decoded (keys included), whether or not the whole parses. */
function jsonStringLiterals(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"(?:[^"\\]|\\.)*"/gs)) {
    try {
      out.push(JSON.parse(m[0]) as string);
    } catch {
      out.push(m[0]);
    }
  }
  return out;
}

/**
 * @param search the request's query string ('' or '?…')
 * @throws MalformedBodyError when the body claims a format it does not have (GitLab would answer 400
 *   too, but a laxer parser might not: better refused than guessed)
 */
export function requestParams(search: string, body: Buffer, contentType: string | undefined): RequestParams {
  const out: RequestParams = { params: [], texts: [] };
  const add = (pairs: Array<{ key: string; value: string }>) => {
    for (const { key, value } of pairs) {
      out.params.push({ key: lastSegment(key), value });
      out.texts.push(key, value);
    }
  };
  add(formPairs(search.replace(/^\?/, '')));
  if (body.length === 0) return out;
  const type = (contentType ?? '').toLowerCase();
  const text = body.toString('utf8');
  out.texts.push(text, ...jsonStringLiterals(text));
  // Grape parses JSON for a JSON type and, GitLab's default format being JSON, for a body without
  // one; whatever the type, a body that parses as JSON is read as JSON too.
  let parsed: unknown;
  let isJson = false;
  try {
    parsed = JSON.parse(text);
    isJson = true;
  } catch {
    if (type.includes('json')) throw new MalformedBodyError('the body is not valid JSON', out.texts);
  }
  if (isJson) walkJson(parsed, '', out);
  if (type.startsWith('multipart/')) add(multipartPairs(body, contentType ?? ''));
  else if (!type.includes('json')) add(formPairs(text));
  return out;
}
