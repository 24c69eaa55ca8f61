import type { Handler, Route } from './types';

/** A tiny router over decoded path segments; GitLab encodes slashes in ids as %2F, so one segment each. */
export class Router {
  private readonly routes: Array<Route & { parts: string[] }> = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, pattern, handler, parts: pattern.split('/').filter(Boolean) });
    return this;
  }

  get(pattern: string, handler: Handler) {
    return this.add('GET', pattern, handler);
  }
  post(pattern: string, handler: Handler) {
    return this.add('POST', pattern, handler);
  }
  put(pattern: string, handler: Handler) {
    return this.add('PUT', pattern, handler);
  }
  delete(pattern: string, handler: Handler) {
    return this.add('DELETE', pattern, handler);
  }

  /** The handler and params for a request; `allowed` lists methods of routes whose path matched. */
  match(method: string, rawPath: string): { handler?: Handler; params: Record<string, string>; pathMatched: boolean } {
    let segments: string[];
    try {
      segments = rawPath.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return { params: {}, pathMatched: false };
    }
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchParts(route.parts, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET'))
        return { handler: route.handler, params, pathMatched };
    }
    return { params: {}, pathMatched };
  }
}

function matchParts(parts: string[], segments: string[]): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const seg = segments[i] as string;
    if (part.startsWith(':')) params[part.slice(1)] = seg;
    else if (part !== seg) return undefined;
  }
  return params;
}
