import type { ServerResponse } from 'node:http';
import { request, type Dispatcher } from 'undici';
import { scrubJson, type ScrubContext } from './response-scrub';

/**
 * `GET /api/v4/projects` as the agent sees it: only the run's projects, fetched one by one from
 * GitLab with the account's token, whatever filters it asked for. Forwarding the real list and
 * filtering it would still leak the account's other projects through the page count and totals
 * (`x-total`), and a page could come back empty while the next held the run's project.
 * `search` is honoured (on name and path), as are `page` and `per_page`; other filters only ever
 * narrow a list the agent may see whole.
 */
export async function answerRunProjects(
  res: ServerResponse,
  opts: {
    apiBase: string;
    token: string;
    dispatcher: Dispatcher | undefined;
    query: URLSearchParams;
    scrub: ScrubContext;
  },
): Promise<number> {
  const projects: Array<Record<string, unknown>> = [];
  for (const path of opts.scrub.projectPaths) {
    const upstream = await request(`${opts.apiBase}/projects/${encodeURIComponent(path)}`, {
      headers: { authorization: `Bearer ${opts.token}`, accept: 'application/json', 'accept-encoding': 'identity' },
      ...(opts.dispatcher ? { dispatcher: opts.dispatcher } : {}),
    });
    const text = await upstream.body.text();
    if (upstream.statusCode !== 200) continue;
    try {
      const project = JSON.parse(text) as unknown;
      if (project && typeof project === 'object' && !Array.isArray(project))
        projects.push(project as Record<string, unknown>);
    } catch {
      continue;
    }
  }
  const search = opts.query.get('search')?.toLowerCase();
  const matching = projects.filter(
    (p) =>
      !search ||
      ['name', 'path', 'path_with_namespace'].some((k) =>
        String(p[k] ?? '')
          .toLowerCase()
          .includes(search),
      ),
  );
  const perPage = Math.min(Math.max(Number(opts.query.get('per_page')) || 20, 1), 100);
  const page = Math.max(Number(opts.query.get('page')) || 1, 1);
  const totalPages = Math.max(Math.ceil(matching.length / perPage), 1);
  const body = JSON.stringify(scrubJson(matching.slice((page - 1) * perPage, page * perPage), opts.scrub));
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-page': String(page),
    'x-per-page': String(perPage),
    'x-total': String(matching.length),
    'x-total-pages': String(totalPages),
    'x-next-page': page < totalPages ? String(page + 1) : '',
    'x-prev-page': page > 1 ? String(page - 1) : '',
  });
  res.end(body);
  return 200;
}
