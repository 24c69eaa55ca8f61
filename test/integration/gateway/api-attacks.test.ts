import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createCredentialGateway, type CredentialGateway } from '../../../src-main/services/gateway';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { bareEnv, run, scratch, startTestProxy, type TestProxy } from './helpers';

/**
 * An agent trying to get around the API allowlist, with real HTTP (curl, holding no credentials)
 * through the real gateway to the GitLab stand-in, which runs quick actions as GitLab does. Each
 * attack is checked on the stand-in's state: nothing merged, approved, closed, relabelled,
 * retargeted or moved, no other project seen, no secret in any answer.
 */

const P = 'acme/web-app';
const enc = encodeURIComponent(P);
let gitlab: StandIn;
let work: Awaited<ReturnType<typeof scratch>>;
const gateways: Array<{ gateway: CredentialGateway; proxy: TestProxy }> = [];
let bot: { gateway: CredentialGateway; proxy: TestProxy };
let mrIid: number;
let issueIid: number;
let otherProjectId: number;
let ownProjectId: number;

async function startGateway(username: string, runId: string) {
  const token = gitlab.user(username).token;
  const gateway = await createCredentialGateway({
    runId,
    instanceUrl: gitlab.url,
    projectPaths: [P],
    getCredentials: async () => ({ token }),
    logDir: join(work.dir, runId),
    logger: createLogger({ sinks: [memorySink()] }),
  });
  const entry = { gateway, proxy: await startTestProxy(gateway) };
  gateways.push(entry);
  return entry;
}

interface Answer {
  status: number;
  body: string;
  headers: string;
}

/** curl through the gateway: `-w` appends the status on its own last line. */
async function curl(through: { proxy: TestProxy }, method: string, path: string, args: string[] = []): Promise<Answer> {
  const r = await run(
    'curl',
    [
      '--silent',
      '--show-error',
      '--proxy',
      through.proxy.url,
      '-X',
      method,
      '-D',
      '-',
      '-w',
      '\n%{http_code}',
      ...args,
      `${gitlab.url}/api/v4${path}`,
    ],
    { env: bareEnv(work.dir) },
  );
  const out = r.stdout;
  const status = Number(out.slice(out.lastIndexOf('\n') + 1));
  const rest = out.slice(0, out.lastIndexOf('\n'));
  const split = rest.indexOf('\r\n\r\n');
  return { status, headers: rest.slice(0, split), body: rest.slice(split + 4) };
}
const json = (body: Record<string, unknown>) => ['-H', 'content-type: application/json', '-d', JSON.stringify(body)];

const mr = () => gitlab.mergeRequests(P).find((m) => m.iid === mrIid)!;
const issue = () => gitlab.issues(P).find((i) => i.iid === issueIid)!;
const refusals = () => bot.gateway.record().refusals;

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  work = await scratch('cospec-api-attacks-');
  bot = await startGateway('cospec-bot', 'run-attacks');
  const token = gitlab.user('cospec-bot').token;
  const direct = async (path: string, init?: RequestInit) =>
    (await (
      await fetch(`${gitlab.url}/api/v4${path}`, {
        ...init,
        headers: { 'private-token': token, 'content-type': 'application/json' },
      })
    ).json()) as Record<string, unknown>;
  ownProjectId = (await direct(`/projects/${enc}`)).id as number;
  otherProjectId = (await direct(`/projects/${encodeURIComponent('tools/cli')}`)).id as number;
  const opened = await curl(bot, 'POST', `/projects/${enc}/merge_requests`, [
    ...json({ source_branch: 'feature/login', target_branch: 'main', title: 'Agent MR' }),
  ]);
  if (opened.status !== 201) throw new Error(`could not open the MR through the gateway: ${opened.body}`);
  mrIid = (JSON.parse(opened.body) as { iid: number }).iid;
  const filed = await curl(bot, 'POST', `/projects/${enc}/issues`, [...json({ title: 'Agent issue' })]);
  issueIid = (JSON.parse(filed.body) as { iid: number }).iid;
}, 60_000);

afterAll(async () => {
  for (const { gateway, proxy } of gateways) {
    await gateway.close();
    await proxy.close();
  }
  await gitlab?.close();
  await work?.cleanup();
});

describe('quick actions never reach GitLab', () => {
  const mrNotes = () => `/projects/${enc}/merge_requests/${mrIid}/notes`;
  const attacks: Array<{ name: string; method: string; path: () => string; args: () => string[] }> = [
    { name: 'a JSON note', method: 'POST', path: mrNotes, args: () => json({ body: 'Ship it\n/merge' }) },
    { name: 'a commands-only note', method: 'POST', path: mrNotes, args: () => json({ body: '/approve' }) },
    {
      name: 'a JSON unicode escape',
      method: 'POST',
      path: mrNotes,
      args: () => ['-H', 'content-type: application/json', '-d', '{"body":"ok\\n\\u002fmerge"}'],
    },
    { name: 'a form body', method: 'POST', path: mrNotes, args: () => ['--data-urlencode', 'body=LGTM\n/approve'] },
    {
      name: 'a form body split on ";"',
      method: 'POST',
      path: mrNotes,
      args: () => ['-H', 'content-type: application/x-www-form-urlencoded', '-d', 'x=1;body=%2Fmerge'],
    },
    { name: 'multipart', method: 'POST', path: mrNotes, args: () => ['-F', 'body=hi\n/merge'] },
    {
      name: 'the query string',
      method: 'POST',
      path: () => `${mrNotes()}?body=${encodeURIComponent('/merge')}`,
      args: () => [],
    },
    {
      name: 'CRLF line ends',
      method: 'POST',
      path: mrNotes,
      args: () => json({ body: 'done\r\n/target_branch feature/conflict\r\n' }),
    },
    {
      name: 'a new discussion',
      method: 'POST',
      path: () => `/projects/${enc}/merge_requests/${mrIid}/discussions`,
      args: () => json({ body: '/merge' }),
    },
    {
      name: 'an MR description edit',
      method: 'PUT',
      path: () => `/projects/${enc}/merge_requests/${mrIid}`,
      args: () => json({ description: 'Updated\n/merge\n/approve' }),
    },
    {
      name: 'an issue description edit',
      method: 'PUT',
      path: () => `/projects/${enc}/issues/${issueIid}`,
      args: () => json({ description: 'x\n/close\n/label ~pwned' }),
    },
    {
      name: 'an issue note with /move',
      method: 'POST',
      path: () => `/projects/${enc}/issues/${issueIid}/notes`,
      args: () => json({ body: '/move tools/cli' }),
    },
    {
      name: 'an unknown command',
      method: 'POST',
      path: () => `/projects/${enc}/issues/${issueIid}/notes`,
      args: () => json({ body: '/future_command arg' }),
    },
    {
      name: 'a new MR whose description retargets it',
      method: 'POST',
      path: () => `/projects/${enc}/merge_requests`,
      args: () =>
        json({
          source_branch: 'feature/conflict',
          target_branch: 'feature/login',
          title: 'Sneaky',
          description: '/target_branch main\n/assign @alice\n/label ~auto-merge',
        }),
    },
    {
      name: 'a new issue description',
      method: 'POST',
      path: () => `/projects/${enc}/issues`,
      args: () => json({ title: 'Sneaky issue', description: '/confidential\n/assign @maya' }),
    },
  ];

  it.each(attacks)('refuses $name with a 403 that says why, and records it', async ({ method, path, args }) => {
    const before = refusals().length;
    const answer = await curl(bot, method, path(), args());
    expect(answer.status, answer.body).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({ message: expect.stringMatching(/quick action/) });
    const added = refusals().slice(before);
    expect(added.length).toBeGreaterThan(0);
    for (const r of added) expect(r).toMatchObject({ kind: 'quick_action', target: expect.stringMatching(/^\/\w+$/) });
  });

  it('left GitLab untouched: nothing merged, approved, retargeted, closed, labelled or moved', async () => {
    expect(mr()).toMatchObject({ state: 'opened', approved_by_ids: [], target_branch: 'main', description: '' });
    expect(mr().notes).toEqual([]);
    expect(issue()).toMatchObject({ state: 'opened', labels: [], description: '' });
    expect(issue().notes).toEqual([]);
    expect(gitlab.issues('tools/cli')).toEqual([]);
    expect(gitlab.mergeRequests(P).map((m) => m.title)).not.toContain('Sneaky');
    expect(gitlab.issues(P).map((i) => i.title)).not.toContain('Sneaky issue');
  });

  it('still passes ordinary comments, paths and commands inside a ``` block', async () => {
    const body = 'Fixed the path to /usr/bin/env.\nRun:\n```sh\n/usr/bin/make test\n/merge\n```\n/* done */';
    const answer = await curl(bot, 'POST', `/projects/${enc}/merge_requests/${mrIid}/notes`, [...json({ body })]);
    expect(answer.status, answer.body).toBe(201);
    expect(mr().notes.map((n) => n.body)).toEqual([body]);
    expect(mr().state).toBe('opened');
    expect(bot.gateway.record().notes).toContainEqual(
      expect.objectContaining({ noteableType: 'merge_request', noteableIid: mrIid }),
    );
  });

  it('records no note for a 202 without an id, and does not fail on it', async () => {
    const remove = gitlab.faults.add({
      match: { path: `/api/v4/projects/${enc}/issues/${issueIid}/notes`, method: 'POST' },
      status: 202,
      body: { commands_changes: {}, summary: [] },
      times: 1,
    });
    const notesBefore = bot.gateway.record().notes.length;
    const answer = await curl(bot, 'POST', `/projects/${enc}/issues/${issueIid}/notes`, [...json({ body: 'hello' })]);
    remove();
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toEqual({ commands_changes: {}, summary: [] });
    expect(bot.gateway.record().notes).toHaveLength(notesBefore);
    const ok = await curl(bot, 'POST', `/projects/${enc}/issues/${issueIid}/notes`, [...json({ body: 'again' })]);
    expect(ok.status).toBe(201);
  });

  it('refuses a compressed body it cannot read the way GitLab would', async () => {
    const gz = join(work.dir, 'note.gz');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(gz, gzipSync(JSON.stringify({ body: '/merge' })));
    const answer = await curl(bot, 'POST', `/projects/${enc}/merge_requests/${mrIid}/notes`, [
      '-H',
      'content-type: application/json',
      '-H',
      'content-encoding: gzip',
      '--data-binary',
      `@${gz}`,
    ]);
    expect(answer.status).toBe(415);
    expect(mr().state).toBe('opened');
  });
});

describe('the route GitLab runs is the one that was checked', () => {
  it.each([
    ['a _method field', '', ['-H', 'content-type: application/json', '-d', '{"_method":"DELETE","body":"x"}']],
    ['a _method query parameter', '?_method=PUT', ['--data-urlencode', 'body=x']],
    ['an X-HTTP-Method-Override header', '', ['-H', 'X-HTTP-Method-Override: DELETE', '--data-urlencode', 'body=x']],
  ])('refuses a method override in %s', async (_name, query, args) => {
    const answer = await curl(bot, 'POST', `/projects/${enc}/merge_requests/${mrIid}/notes${query}`, args);
    expect(answer.status, answer.body).toBe(403);
    expect(answer.body).toMatch(/method override/);
  });
});

describe('work stays in the run’s projects', () => {
  it('refuses an MR aimed at another project, and allows one aimed at its own', async () => {
    const before = refusals().length;
    const answer = await curl(bot, 'POST', `/projects/${enc}/merge_requests`, [
      ...json({
        source_branch: 'feature/conflict',
        target_branch: 'main',
        title: 'Elsewhere',
        target_project_id: otherProjectId,
      }),
    ]);
    expect(answer.status, answer.body).toBe(403);
    expect(JSON.parse(answer.body).message).toMatch(/target_project_id/);
    expect(refusals().slice(before)).toEqual([expect.objectContaining({ kind: 'api' })]);
    const form = await curl(bot, 'POST', `/projects/${enc}/merge_requests?target_project_id=${otherProjectId}`, [
      '--data-urlencode',
      'source_branch=feature/conflict',
      '--data-urlencode',
      'target_branch=main',
      '--data-urlencode',
      'title=Elsewhere',
    ]);
    expect(form.status).toBe(403);
    expect(gitlab.mergeRequests('tools/cli')).toEqual([]);
    expect(gitlab.mergeRequests(P).map((m) => m.title)).not.toContain('Elsewhere');

    const own = await curl(bot, 'POST', `/projects/${enc}/merge_requests`, [
      ...json({
        source_branch: 'feature/conflict',
        target_branch: 'main',
        title: 'Here',
        target_project_id: ownProjectId,
      }),
    ]);
    expect(own.status, own.body).toBe(201);
  });

  it.each([
    ['POST', 'issues/:iid/move', () => `/projects/${enc}/issues/${issueIid}/move`, json({ to_project_id: 0 })],
    ['POST', 'issues/:iid/clone', () => `/projects/${enc}/issues/${issueIid}/clone`, json({ to_project_id: 0 })],
    ['POST', 'projects/:id/fork', () => `/projects/${enc}/fork`, json({ namespace_path: 'alice' })],
    ['PUT', 'projects/:id/transfer', () => `/projects/${enc}/transfer`, json({ namespace: 'tools' })],
    ['POST', 'projects/import', () => '/projects/import', ['-F', 'path=x']],
    ['POST', 'import/github', () => '/import/github', json({ repo_id: 1 })],
    ['GET', 'groups/:id/projects', () => '/groups/1/projects', []],
    ['GET', 'namespaces', () => '/namespaces', []],
    ['GET', 'search for projects', () => '/search?scope=projects&search=secret', []],
    ['GET', 'another project by path', () => `/projects/${encodeURIComponent('tools/secret')}`, []],
    ['GET', "another project's issues by id", () => `/projects/${otherProjectId}/issues`, []],
  ] as Array<[string, string, () => string, string[]]>)(
    'refuses %s %s and records it',
    async (method, _label, path, args) => {
      const before = refusals().length;
      const answer = await curl(bot, method, path(), args);
      expect(answer.status, answer.body).toBe(403);
      expect(refusals().slice(before)).toEqual([expect.objectContaining({ kind: 'api' })]);
    },
  );

  it('refuses a lookup that names another project in its query, and allows its own', async () => {
    const compare = (id: number) =>
      curl(bot, 'GET', `/projects/${enc}/repository/compare?from=main&to=feature/login&from_project_id=${id}`);
    const other = await compare(otherProjectId);
    expect(other.status, other.body).toBe(403);
    expect(other.body).toMatch(/from_project_id/);
    expect(refusals().at(-1)).toMatchObject({ kind: 'api', target: expect.stringMatching(/^GET .*compare$/) });
    expect((await compare(ownProjectId)).status).toBe(200);
  });

  it('lists only the run’s projects, whatever the filters and pages', async () => {
    const list = await curl(bot, 'GET', '/projects?membership=true&per_page=100');
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as Array<{ path_with_namespace: string }>).map((p) => p.path_with_namespace)).toEqual(
      [P],
    );
    expect(list.headers).toMatch(/x-total: 1\r?\n/i);
    expect(JSON.parse((await curl(bot, 'GET', '/projects?search=secret')).body)).toEqual([]);
    expect(JSON.parse((await curl(bot, 'GET', '/projects?page=2')).body)).toEqual([]);
    expect(JSON.parse((await curl(bot, 'GET', '/projects?search=web')).body)).toHaveLength(1);
  });
});

describe('answers carry no secrets', () => {
  it('hides the runner registration token GitLab shows a Maintainer', async () => {
    const alice = await startGateway('alice', 'run-maintainer');
    const direct = (await (
      await fetch(`${gitlab.url}/api/v4/projects/${enc}`, { headers: { 'private-token': gitlab.user('alice').token } })
    ).json()) as { runners_token?: string };
    expect(direct.runners_token).toMatch(/^GR1348941/);

    for (const path of [`/projects/${enc}`, '/projects', `/projects/${ownProjectId}`]) {
      const answer = await curl(alice, 'GET', path);
      expect(answer.status).toBe(200);
      expect(answer.body).not.toContain(direct.runners_token);
      expect(answer.body).toContain('redacted by coSPEC');
      expect(answer.body).not.toContain(gitlab.user('alice').token);
    }
  });
});
