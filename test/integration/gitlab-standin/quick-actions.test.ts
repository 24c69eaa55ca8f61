import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { extractCommands } from '../../../tools/gitlab-standin/api/quick-actions';

/**
 * Quick actions in the stand-in, as GitLab runs them (lib/gitlab/quick_actions/extractor.rb,
 * app/services/notes/create_service.rb, lib/api/helpers/notes_helpers.rb, issuable_base_service.rb):
 * in notes, in new issue and MR descriptions and in edited ones; a commands-only note is a 202.
 */

let gitlab: StandIn;
const P = 'acme/web-app';
const enc = encodeURIComponent(P);

async function api(
  method: string,
  path: string,
  body?: Record<string, unknown>,
  as = 'cospec-bot',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${gitlab.url}/api/v4${path}`, {
    method,
    headers: { 'private-token': gitlab.user(as).token, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
const issue = (iid: number) => gitlab.issues(P).find((i) => i.iid === iid)!;
const mr = (iid: number) => gitlab.mergeRequests(P).find((m) => m.iid === iid)!;
const serverGit = (...args: string[]) =>
  execFileSync('git', ['--git-dir', gitlab.repoDir(P), ...args], { encoding: 'utf8' }).trim();

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
});
afterAll(async () => {
  await gitlab?.close();
});

describe('the extractor', () => {
  it('takes /name lines, case-insensitively, with their argument, and leaves the rest', () => {
    expect(extractCommands('Looks good\n/MERGE\n/label ~bug ~"needs review"\nthanks')).toEqual({
      content: 'Looks good\nthanks',
      commands: [{ name: 'merge' }, { name: 'label', arg: '~bug ~"needs review"' }],
    });
  });

  it('skips code blocks, inline code, HTML blocks and >>> quotes, and is not fooled by paths', () => {
    const text = [
      '```sh',
      '/merge',
      '```',
      'run `/close` later',
      '<details>',
      '/approve',
      '</details>',
      '>>>',
      '/close',
      '>>>',
      '/usr/bin/env is missing',
      ' /close (indented)',
      '/merged',
    ].join('\n');
    expect(extractCommands(text)).toEqual({ content: text, commands: [] });
  });

  it('drops carriage returns first, as GitLab does', () => {
    expect(extractCommands('hi\r\n/clo\rse').commands).toEqual([{ name: 'close' }]);
  });
});

describe('quick actions in notes', () => {
  it('a note made only of commands runs them, is not saved, and answers 202 without an id', async () => {
    const created = await api('POST', `/projects/${enc}/issues`, { title: 'Commands target' });
    const iid = created.json.iid as number;
    const res = await api('POST', `/projects/${enc}/issues/${iid}/notes`, { body: '/label ~bug\n/assign @maya' });
    expect(res.status).toBe(202);
    expect(res.json.id).toBeUndefined();
    expect(res.json).toMatchObject({
      commands_changes: { add_label_ids: ['bug'], assignee_ids: [gitlab.user('maya').id] },
      summary: expect.arrayContaining(['Assigned @maya.']),
    });
    expect(issue(iid)).toMatchObject({ labels: ['bug'], assignee_ids: [gitlab.user('maya').id], notes: [] });

    const closed = await api('POST', `/projects/${enc}/issues/${iid}/discussions`, { body: '/close\n/title Renamed' });
    expect(closed.status).toBe(202);
    expect(issue(iid)).toMatchObject({ state: 'closed', title: 'Renamed' });
    expect((await api('POST', `/projects/${enc}/issues/${iid}/notes`, { body: '/reopen\n/unlabel ~bug' })).status).toBe(
      202,
    );
    expect(issue(iid)).toMatchObject({ state: 'opened', labels: [] });
  });

  it('a comment with /approve and /merge approves and merges the MR and keeps only its text', async () => {
    const opened = await api('POST', `/projects/${enc}/merge_requests`, {
      source_branch: 'feature/login',
      target_branch: 'main',
      title: 'Login',
    });
    const iid = opened.json.iid as number;
    const before = serverGit('rev-parse', 'main');
    const res = await api('POST', `/projects/${enc}/merge_requests/${iid}/notes`, { body: 'LGTM\n/approve\n/merge' });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ body: 'LGTM', commands_changes: { merge: null } });
    expect(mr(iid)).toMatchObject({ state: 'merged', approved_by_ids: [gitlab.user('cospec-bot').id] });
    expect(serverGit('rev-parse', 'main')).not.toBe(before);
  });

  it('a draft MR is made ready and given a reviewer by a note; the issue made confidential', async () => {
    const opened = await api('POST', `/projects/${enc}/merge_requests`, {
      source_branch: 'feature/conflict',
      target_branch: 'feature/login',
      title: 'Draft: later',
    });
    const iid = opened.json.iid as number;
    const res = await api('POST', `/projects/${enc}/merge_requests/${iid}/notes`, { body: '/ready\n/reviewer @alice' });
    expect(res.status).toBe(202);
    expect(mr(iid)).toMatchObject({ draft: false, reviewer_ids: [gitlab.user('alice').id] });
    const filed = await api('POST', `/projects/${enc}/issues`, { title: 'Secret' });
    await api('POST', `/projects/${enc}/issues/${filed.json.iid as number}/notes`, { body: '/confidential' });
    expect(issue(filed.json.iid as number).confidential).toBe(true);
  });

  it('runs nothing written in a code block', async () => {
    const created = await api('POST', `/projects/${enc}/issues`, { title: 'Code' });
    const iid = created.json.iid as number;
    const body = 'Try this:\n```\n/close\n```';
    const res = await api('POST', `/projects/${enc}/issues/${iid}/notes`, { body });
    expect(res.status).toBe(201);
    expect(res.json.body).toBe(body);
    expect(issue(iid).state).toBe('opened');
  });

  it('editing a note runs the commands of its new text', async () => {
    const created = await api('POST', `/projects/${enc}/issues`, { title: 'Edit me' });
    const iid = created.json.iid as number;
    const note = await api('POST', `/projects/${enc}/issues/${iid}/notes`, { body: 'first' });
    const res = await api('PUT', `/projects/${enc}/issues/${iid}/notes/${note.json.id as number}`, {
      body: 'second\n/close',
    });
    expect(res.status).toBe(200);
    expect(res.json.body).toBe('second');
    expect(issue(iid).state).toBe('closed');
  });
});

describe('quick actions in descriptions', () => {
  it('a new MR takes /label, /assign and /target_branch from its description; /merge cannot run yet', async () => {
    const res = await api('POST', `/projects/${enc}/merge_requests`, {
      source_branch: 'feature/conflict',
      target_branch: 'main',
      title: 'Conflict',
      description: 'Adds things\n/label ~agent\n/assign me\n/target_branch feature/login\n/merge\n/approve',
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ description: 'Adds things', target_branch: 'feature/login', labels: ['agent'] });
    const stored = mr(res.json.iid as number);
    expect(stored).toMatchObject({
      state: 'opened',
      approved_by_ids: [],
      assignee_ids: [gitlab.user('cospec-bot').id],
    });
  });

  it('a new issue runs /label but not /close; an edit runs only the commands it adds', async () => {
    const res = await api('POST', `/projects/${enc}/issues`, { title: 'Desc', description: 'Text\n/close\n/label x' });
    const iid = res.json.iid as number;
    expect(res.json).toMatchObject({ description: 'Text', state: 'opened', labels: ['x'] });
    const edited = await api('PUT', `/projects/${enc}/issues/${iid}`, { description: 'Text\n/close' });
    expect(edited.json).toMatchObject({ description: 'Text', state: 'closed' });
  });

  it('/move moves an issue to another project the user can reach', async () => {
    const res = await api('POST', `/projects/${enc}/issues`, { title: 'Move me' });
    const iid = res.json.iid as number;
    expect((await api('POST', `/projects/${enc}/issues/${iid}/notes`, { body: '/move acme/api-service' })).status).toBe(
      202,
    );
    expect(issue(iid).state).toBe('closed');
    expect(gitlab.issues('acme/api-service').map((i) => i.title)).toContain('Move me');
  });
});
