import { requireAuth } from '../auth';
import { paginate } from '../http/paginate';
import type { Router } from '../http/router';
import { errors } from '../http/types';
import { basicUser, currentUser, personalAccessToken } from '../present/users';

/** /version, /metadata, /user, /users and /personal_access_tokens. */
export function metaRoutes(router: Router, version: string): void {
  const revision = '6f2f3c1a0b7';
  router.get('/version', (ctx) => {
    requireAuth(ctx.principal, 'user');
    return { body: { version, revision } };
  });
  router.get('/metadata', (ctx) => {
    requireAuth(ctx.principal, 'user');
    return {
      body: { version, revision, kas: { enabled: false, externalUrl: null, version: null }, enterprise: false },
    };
  });
  router.get('/user', (ctx) => {
    const { user } = requireAuth(ctx.principal, 'user');
    return { body: currentUser(user, ctx.baseUrl) };
  });
  router.get('/users', (ctx) => {
    requireAuth(ctx.principal, 'read');
    const username = ctx.query.get('username');
    const search = ctx.query.get('search')?.toLowerCase();
    const users = ctx.store.users.filter(
      (u) =>
        (!username || u.username.toLowerCase() === username.toLowerCase()) &&
        (!search || `${u.username} ${u.name}`.toLowerCase().includes(search)),
    );
    return paginate(
      ctx,
      users.map((u) => basicUser(u, ctx.baseUrl)),
    );
  });
  router.get('/users/:uid', (ctx) => {
    requireAuth(ctx.principal, 'read');
    const user = ctx.store.userById(Number(ctx.params.uid));
    if (!user) throw errors.notFound('User');
    return { body: { ...basicUser(user, ctx.baseUrl), created_at: user.created_at, bot: false } };
  });
  // The token the request was made with (GitLab 15.5+); any scope may read itself.
  router.get('/personal_access_tokens/self', (ctx) => {
    const principal = requireAuth(ctx.principal, 'user');
    const token = principal.token;
    if (!token || token.kind !== 'pat') throw errors.notFound();
    return { body: personalAccessToken(token, !token.revoked && !ctx.store.isExpired(token)) };
  });
  router.delete('/personal_access_tokens/self', (ctx) => {
    const principal = requireAuth(ctx.principal, 'user');
    if (!principal.token || principal.token.kind !== 'pat') throw errors.notFound();
    principal.token.revoked = true;
    return { status: 204, body: undefined };
  });
  router.get('/personal_access_tokens', (ctx) => {
    const { user } = requireAuth(ctx.principal, 'read');
    const mine = ctx.store.tokens.filter((t) => t.kind === 'pat' && (t.user_id === user.id || user.is_admin));
    return paginate(
      ctx,
      mine.map((t) => personalAccessToken(t, !t.revoked && !ctx.store.isExpired(t))),
    );
  });
}
