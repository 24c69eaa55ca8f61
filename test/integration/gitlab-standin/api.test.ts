import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';

/**
 * The stand-in's REST API, driven by @gitbeaker/rest (a real GitLab client) where it fits, and by
 * plain fetch where the test is about GitLab's exact status codes, bodies and headers.
 */

let gitlab: StandIn;
const api = (token: string) => new Gitlab({ host: gitlab.url, token });
const raw = (path: string, token?: string, init: RequestInit = {}) =>
  fetch(`${gitlab.url}/api/v4${path}`, {
    ...init,
    headers: { ...(token ? { 'PRIVATE-TOKEN': token } : {}), ...(init.headers as Record<string, string>) },
  });

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
});
afterAll(async () => {
  await gitlab?.close();
});

describe('identity endpoints', () => {
  it('GET /version, /user and /personal_access_tokens/self answer as GitLab', async () => {
    const bot = api(gitlab.user('cospec-bot').token);
    expect(await bot.Metadata.show()).toMatchObject({ version: '17.5.0' });
    const me = await bot.Users.showCurrentUser();
    expect(me).toMatchObject({
      id: gitlab.user('cospec-bot').id,
      username: 'cospec-bot',
      state: 'active',
      bot: false,
      is_admin: false,
    });
    const self = await (await raw('/personal_access_tokens/self', gitlab.user('cospec-bot').token)).json();
    expect(self).toMatchObject({
      active: true,
      revoked: false,
      scopes: expect.arrayContaining(['api', 'read_user']),
      user_id: me.id,
    });
    expect(self.expires_at).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(JSON.stringify(self)).not.toContain(gitlab.user('cospec-bot').token);
  });

  it('accepts the token as PRIVATE-TOKEN, Bearer and private_token/access_token', async () => {
    const token = gitlab.user('alice').token;
    for (const res of [
      await raw('/user', token),
      await raw('/user', undefined, { headers: { authorization: `Bearer ${token}` } }),
      await raw(`/user?private_token=${token}`),
      await raw(`/user?access_token=${token}`),
    ]) {
      expect(res.status).toBe(200);
      expect((await res.json()).username).toBe('alice');
    }
  });

  it("gives GitLab's 401 bodies for missing, unknown, expired and revoked tokens", async () => {
    expect(await (await raw('/user')).json()).toEqual({ message: '401 Unauthorized' });
    const unknown = await raw('/user', 'glpat-nope');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual({ message: '401 Unauthorized' });
    const expired = await raw('/personal_access_tokens/self', gitlab.tokens.expired);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Token is expired. You can either do re-authorization or token refresh.',
    });
    const revoked = await raw('/user', gitlab.tokens.revoked);
    expect(await revoked.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Token was revoked. You have to re-authorize from the user.',
    });
  });

  it('a read_user token reads /user but gets insufficient_scope on the API', async () => {
    expect((await raw('/user', gitlab.tokens.readUserOnly)).status).toBe(200);
    const self = await (await raw('/personal_access_tokens/self', gitlab.tokens.readUserOnly)).json();
    expect(self.scopes).toEqual(['read_user']);
    const projects = await raw('/projects', gitlab.tokens.readUserOnly);
    expect(projects.status).toBe(403);
    expect(await projects.json()).toMatchObject({ error: 'insufficient_scope', scope: expect.stringContaining('api') });
  });

  it('reports expiry of the special tokens', async () => {
    const soon = await (await raw('/personal_access_tokens/self', gitlab.tokens.expiringSoon)).json();
    expect(Date.parse(soon.expires_at) - Date.now()).toBeLessThan(7 * 86_400_000);
    expect((await (await raw('/personal_access_tokens/self', gitlab.tokens.noExpiry)).json()).expires_at).toBeNull();
  });

  it('createPersonalAccessToken and revokeToken change what GitLab accepts', async () => {
    const token = await gitlab.createPersonalAccessToken('gus', { scopes: ['api'], expiresAt: '2099-12-31' });
    expect((await (await raw('/user', token)).json()).username).toBe('gus');
    await gitlab.revokeToken(token);
    expect((await raw('/user', token)).status).toBe(401);
  });
});

describe('projects', () => {
  it('lists the Developer+ projects of the bot over several pages with GitLab headers', async () => {
    const bot = gitlab.user('cospec-bot').token;
    const first = await raw('/projects?membership=true&min_access_level=30&simple=true&per_page=20', bot);
    // 30 acme services and 3 acme projects, plus the real-instance shapes (seed-shapes.ts): a subgroup
    // project and a long-path project (inherited from acme), an invitation to a user's project, an empty repo.
    expect(first.headers.get('x-total')).toBe('37');
    expect(first.headers.get('x-total-pages')).toBe('2');
    expect(first.headers.get('x-next-page')).toBe('2');
    expect(first.headers.get('x-page')).toBe('1');
    expect(first.headers.get('link')).toMatch(/per_page=20&page=2>; rel="next"/);
    const all = await api(bot).Projects.all({ membership: true, minAccessLevel: 30, simple: true, perPage: 20 });
    const paths = all.map((p) => p.path_with_namespace);
    expect(paths).toHaveLength(37);
    expect(paths).toEqual(expect.arrayContaining(['acme/web-app', 'acme/api-service', 'acme/unprotected-lib']));
    expect(paths).not.toContain('tools/cli'); // Reporter only
    expect(paths).not.toContain('tools/secret');
  });

  it('search narrows the list; Reporter projects appear without min_access_level', async () => {
    const bot = api(gitlab.user('cospec-bot').token);
    expect((await bot.Projects.all({ membership: true, search: 'web' })).map((p) => p.path_with_namespace)).toEqual([
      'acme/web-app',
    ]);
    const reporter = await bot.Projects.all({ membership: true, minAccessLevel: 20, search: 'cli' });
    expect(reporter.map((p) => p.path_with_namespace)).toEqual(['tools/cli']);
  });

  it("shows a project by URL-encoded path or id, with the caller's permissions", async () => {
    const bot = api(gitlab.user('cospec-bot').token);
    const byPath = await bot.Projects.show('acme/web-app');
    const byId = await bot.Projects.show(byPath.id);
    expect(byId).toMatchObject({
      path_with_namespace: 'acme/web-app',
      default_branch: 'main',
      http_url_to_repo: `${gitlab.url}/acme/web-app.git`,
    });
    expect(byPath.permissions).toEqual({
      project_access: null,
      group_access: { access_level: 30, notification_level: 3 },
    });
  });

  it("answers 404 for a project the caller can't see, 401 without a token", async () => {
    const res = await raw('/projects/tools%2Fsecret', gitlab.user('cospec-bot').token);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: '404 Project Not Found' });
    expect((await raw('/projects/acme%2Fweb-app')).status).toBe(404);
    expect((await raw('/projects/acme%2Fservice-07')).status).toBe(200); // public
  });
});

describe('branches and repository', () => {
  it('lists branches with protection and shows one by encoded name', async () => {
    const bot = api(gitlab.user('cospec-bot').token);
    const branches = await bot.Branches.all('acme/web-app');
    expect(branches.map((b) => b.name)).toEqual(expect.arrayContaining(['main', 'feature/login']));
    const main = branches.find((b) => b.name === 'main')!;
    expect(main).toMatchObject({
      protected: true,
      default: true,
      can_push: false,
      developers_can_merge: true,
      developers_can_push: false,
    });
    const login = await bot.Branches.show('acme/web-app', 'feature/login');
    expect(login).toMatchObject({ name: 'feature/login', protected: false, can_push: true });
    expect(login.commit.id).toMatch(/^[0-9a-f]{40}$/);
    const lib = await bot.Branches.show('acme/unprotected-lib', 'main');
    expect(lib).toMatchObject({ protected: false, can_push: true });
  });

  it('lists protected branches with access levels', async () => {
    const list = await api(gitlab.user('cospec-bot').token).ProtectedBranches.all('acme/api-service');
    expect(list.map((b) => b.name).sort()).toEqual(['main', 'release/*']);
    expect(list[0]!.push_access_levels![0]).toMatchObject({
      access_level: 40,
      access_level_description: 'Maintainers',
    });
    expect(await api(gitlab.user('cospec-bot').token).ProtectedBranches.all('acme/unprotected-lib')).toEqual([]);
  });

  it('compares refs and lists commits from the real history', async () => {
    const bot = api(gitlab.user('cospec-bot').token);
    const cmp = await bot.Repositories.compare('acme/web-app', 'main', 'feature/login');
    expect(cmp.commits!.map((c) => c.title)).toEqual(['Add a login form']);
    expect(cmp.diffs![0]).toMatchObject({ new_path: 'src/login.js', new_file: true });
    const commits = await bot.Commits.all('acme/web-app', { refName: 'main' });
    expect(commits.map((c) => c.title)).toEqual([
      'Document how to run it',
      'Greet by name',
      'Add the app entry point',
      'Initial commit',
    ]);
  });

  it('only Maintainers protect branches; Developers create unprotected branches', async () => {
    const maya = api(gitlab.user('maya').token);
    await expect(maya.ProtectedBranches.protect('acme/unprotected-lib', 'stable')).rejects.toMatchObject({
      cause: { response: { status: 403 } },
    });
    const created = await maya.Branches.create('acme/unprotected-lib', 'maya/topic', 'main');
    expect(created).toMatchObject({ name: 'maya/topic', protected: false });
    const alice = api(gitlab.user('alice').token);
    expect(await alice.ProtectedBranches.protect('acme/unprotected-lib', 'stable')).toMatchObject({ name: 'stable' });
    await alice.ProtectedBranches.unprotect('acme/unprotected-lib', 'stable');
  });
});

describe('archived projects', () => {
  it('are listed and readable, and every write is 403 Forbidden (protected branches excepted, as on GitLab)', async () => {
    const bot = gitlab.user('cospec-bot').token;
    const alice = gitlab.user('alice').token;
    const project = (await (await raw('/projects/acme%2Fservice-30', bot)).json()) as { archived: boolean };
    expect(project.archived).toBe(true);
    const listed = (await (await raw('/projects?membership=true&archived=true', bot)).json()) as Array<{
      path_with_namespace: string;
    }>;
    expect(listed.map((p) => p.path_with_namespace)).toEqual(['acme/service-30']);
    expect((await raw('/projects/acme%2Fservice-30/repository/branches', bot)).status).toBe(200);
    const post = (path: string, body: unknown, token = bot, method = 'POST') =>
      raw(`/projects/acme%2Fservice-30${path}`, token, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const res of [
      await post('/repository/branches', { branch: 'x', ref: 'main' }),
      await post('/merge_requests', { source_branch: 'main', target_branch: 'main', title: 't' }),
      await post('/issues', { title: 'an issue' }),
      await post('/repository/branches/main', {}, alice, 'DELETE'),
    ]) {
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ message: '403 Forbidden' });
    }
    const protect = await post('/protected_branches', { name: 'release/*' }, alice);
    expect(protect.status).toBe(201);
  });
});

describe('unknown routes', () => {
  it("answers 404 with GitLab's route body", async () => {
    const res = await raw('/nothing/here', gitlab.user('root').token);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: '404 Not Found' });
  });
});
