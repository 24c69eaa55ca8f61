import { ApiError, type Ctx, type Reply } from './types';

/**
 * Offset pagination with GitLab's headers: x-page, x-per-page, x-total, x-total-pages,
 * x-next-page, x-prev-page (empty when there is none) and a Link header with first/prev/next/last.
 */
export function paginate<T>(ctx: Ctx, items: T[]): Reply {
  const page = positive(ctx.query.get('page'), 1);
  const perPage = Math.min(positive(ctx.query.get('per_page'), 20), 100);
  const total = items.length;
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number) => {
    const url = new URL(ctx.req.url ?? '/', ctx.baseUrl);
    url.searchParams.set('page', String(p));
    url.searchParams.set('per_page', String(perPage));
    return url.toString();
  };
  const rels: string[] = [];
  if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`);
  if (page < totalPages) rels.push(`<${link(page + 1)}>; rel="next"`);
  rels.push(`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`);
  return {
    body: slice,
    headers: {
      'x-page': String(page),
      'x-per-page': String(perPage),
      'x-total': String(total),
      'x-total-pages': String(totalPages),
      'x-next-page': page < totalPages ? String(page + 1) : '',
      'x-prev-page': page > 1 ? String(page - 1) : '',
      link: rels.join(', '),
    },
  };
}

function positive(value: string | null, fallback: number): number {
  if (value === null || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new ApiError(400, { error: 'page is invalid' });
  const n = Number(value);
  return n > 0 ? n : fallback;
}
