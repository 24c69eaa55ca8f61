import { Gitlab } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';

/** Access levels per endpoint (Guest 10 … Owner 50), and the read-only context endpoints. */

let gitlab: StandIn;
const call = async (username: string, method: string, path: string, body?: Record<string, unknown>) => {
  const res = await fetch(`${gitlab.url}/api/v4${path}`, {
    method,
    headers: { 'PRIVATE-TOKEN': gitlab.user(username).token, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  await res.arrayBuffer();
  return res.status;
};

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
});
afterAll(async () => {
  await gitlab?.close();
});

describe('access levels on acme/web-app (gus Guest, rita Reporter, maya Developer, alice Maintainer, root admin)', () => {
  const P = '/projects/acme%2Fweb-app';
  const users = ['gus', 'rita', 'maya', 'alice', 'root'] as const;
  const matrix: Array<
    [string, (u: string) => [string, string, Record<string, unknown>?], Record<(typeof users)[number], number>]
  > = [
    ['read the project', () => ['GET', P], { gus: 200, rita: 200, maya: 200, alice: 200, root: 200 }],
    [
      'list branches',
      () => ['GET', `${P}/repository/branches`],
      { gus: 403, rita: 200, maya: 200, alice: 200, root: 200 },
    ],
    [
      'list merge requests',
      () => ['GET', `${P}/merge_requests`],
      { gus: 403, rita: 200, maya: 200, alice: 200, root: 200 },
    ],
    [
      'create a branch',
      (u) => ['POST', `${P}/repository/branches`, { branch: `topic/${u}`, ref: 'main' }],
      { gus: 403, rita: 403, maya: 201, alice: 201, root: 201 },
    ],
    [
      'open a merge request',
      (u) => [
        'POST',
        `${P}/merge_requests`,
        { source_branch: `topic/${u}`, target_branch: 'feature/login', title: `from ${u}` },
      ],
      { gus: 403, rita: 403, maya: 201, alice: 201, root: 201 },
    ],
    [
      'file an issue',
      (u) => ['POST', `${P}/issues`, { title: `by ${u}` }],
      { gus: 201, rita: 201, maya: 201, alice: 201, root: 201 },
    ],
    [
      'protect a branch',
      (u) => ['POST', `${P}/protected_branches`, { name: `keep/${u}` }],
      { gus: 403, rita: 403, maya: 403, alice: 201, root: 201 },
    ],
  ];
  it.each(matrix)('%s', async (_name, request, expected) => {
    const actual: Record<string, number> = {};
    for (const u of users) {
      const [method, path, body] = request(u);
      actual[u] = await call(u, method, path, body);
    }
    expect(actual).toEqual(expected);
  });

  it('a Developer cannot create a branch matching a protected pattern', async () => {
    expect(
      await call('maya', 'POST', '/projects/acme%2Fapi-service/repository/branches', {
        branch: 'release/9.9',
        ref: 'main',
      }),
    ).toBe(403);
    expect(
      await call('alice', 'POST', '/projects/acme%2Fapi-service/repository/branches', {
        branch: 'release/9.9',
        ref: 'main',
      }),
    ).toBe(201);
  });

  it('the bot sees tools/cli as a Reporter and tools/secret not at all', async () => {
    expect(await call('cospec-bot', 'GET', '/projects/tools%2Fcli/repository/branches')).toBe(200);
    expect(
      await call('cospec-bot', 'POST', '/projects/tools%2Fcli/merge_requests', {
        source_branch: 'main',
        target_branch: 'main',
        title: 'x',
      }),
    ).toBe(403);
    expect(await call('cospec-bot', 'GET', '/projects/tools%2Fsecret/issues')).toBe(404);
  });
});

describe('context endpoints', () => {
  const bot = () => new Gitlab({ host: gitlab.url, token: gitlab.user('cospec-bot').token });

  it('repository tree and files come from git', async () => {
    const tree = await bot().Repositories.allRepositoryTrees('acme/web-app', { ref: 'main', recursive: true });
    expect(tree.map((e) => e.path).sort()).toEqual(['README.md', 'package.json', 'src', 'src/app.js', 'src/index.js']);
    const file = await bot().RepositoryFiles.show('acme/web-app', 'src/app.js', 'main');
    expect(Buffer.from(file.content, 'base64').toString('utf8')).toContain('hello ${name}');
    expect(await bot().RepositoryFiles.showRaw('acme/web-app', 'README.md', 'main')).toContain('# Web app');
  });

  it('members include inherited group members with their levels', async () => {
    const all = await bot().ProjectMembers.all('acme/web-app', { includeInherited: true });
    expect(Object.fromEntries(all.map((m) => [m.username, m.access_level]))).toMatchObject({
      'cospec-bot': 30,
      alice: 40,
      rita: 20,
      gus: 10,
    });
  });

  it('discussions: a thread with a reply', async () => {
    const mr = await bot().MergeRequests.create('acme/web-app', 'feature/login', 'main', 'Discuss');
    const d = await bot().MergeRequestDiscussions.create('acme/web-app', mr.iid, 'Should this be async?');
    await bot().MergeRequestDiscussions.addNote('acme/web-app', mr.iid, d.id, 'Yes');
    const threads = await bot().MergeRequestDiscussions.all('acme/web-app', mr.iid);
    expect(threads.map((t) => t.notes!.map((n) => n.body))).toEqual([['Should this be async?', 'Yes']]);
    expect((await bot().MergeRequestNotes.all('acme/web-app', mr.iid)).length).toBe(2);
  });

  it('global /merge_requests and /issues list what the caller created, with time windows', async () => {
    const before = new Date(Date.now() - 60_000).toISOString();
    await bot().Issues.create('acme/unprotected-lib', 'Global one');
    const mine = await bot().Issues.all({ scope: 'created_by_me' });
    expect(mine.map((i) => i.title)).toContain('Global one');
    const res = await fetch(
      `${gitlab.url}/api/v4/projects/acme%2Funprotected-lib/issues?created_after=${encodeURIComponent(before)}&author_id=${gitlab.user('cospec-bot').id}`,
      {
        headers: { 'PRIVATE-TOKEN': gitlab.user('cospec-bot').token },
      },
    );
    expect(((await res.json()) as Array<{ title: string }>).map((i) => i.title)).toEqual(['Global one']);
    const future = await fetch(
      `${gitlab.url}/api/v4/projects/acme%2Funprotected-lib/issues?created_after=2999-01-01T00:00:00Z`,
      {
        headers: { 'PRIVATE-TOKEN': gitlab.user('cospec-bot').token },
      },
    );
    expect(await future.json()).toEqual([]);
    const mrs = await bot().MergeRequests.all({ scope: 'created_by_me', state: 'opened' });
    expect(mrs.map((m) => m.title)).toContain('Discuss');
  });
});

describe('line comments (DiffNote)', () => {
  const post = (path: string, body: unknown) =>
    fetch(`${gitlab.url}/api/v4/projects/acme%2Fweb-app${path}`, {
      method: 'POST',
      headers: { 'PRIVATE-TOKEN': gitlab.user('alice').token, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('anchors a thread to a line of the current diff, refuses stale or foreign positions, and resolves', async () => {
    const mr = await (
      await post('/merge_requests', {
        source_branch: 'feature/login',
        target_branch: 'feature/conflict',
        title: 'Line comments',
      })
    ).json();
    const refs = mr.diff_refs as { base_sha: string; start_sha: string; head_sha: string };
    const position = {
      position_type: 'text',
      ...refs,
      old_path: 'src/login.js',
      new_path: 'src/login.js',
      new_line: 1,
    };
    const res = await post(`/merge_requests/${mr.iid}/discussions`, { body: 'Why true?', position });
    expect(res.status).toBe(201);
    const thread = await res.json();
    expect(thread.notes[0]).toMatchObject({
      type: 'DiffNote',
      resolvable: true,
      resolved: false,
      position: { new_path: 'src/login.js', new_line: 1, head_sha: refs.head_sha },
    });
    expect(
      (await post(`/merge_requests/${mr.iid}/discussions`, { body: 'x', position: { ...position, new_line: 99 } }))
        .status,
    ).toBe(400);
    expect(
      (
        await post(`/merge_requests/${mr.iid}/discussions`, {
          body: 'x',
          position: { ...position, head_sha: refs.base_sha },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await post(`/merge_requests/${mr.iid}/discussions`, {
          body: 'x',
          position: { ...position, new_path: 'README.md', old_path: 'README.md' },
        })
      ).status,
    ).toBe(400);
    const resolved = await fetch(
      `${gitlab.url}/api/v4/projects/acme%2Fweb-app/merge_requests/${mr.iid}/discussions/${thread.id}?resolved=true`,
      {
        method: 'PUT',
        headers: { 'PRIVATE-TOKEN': gitlab.user('alice').token },
      },
    );
    expect((await resolved.json()).notes[0].resolved).toBe(true);
  });
});
