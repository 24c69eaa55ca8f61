import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';
import { docsExamples } from './docs-examples';

/**
 * Compares the stand-in's answers with the example responses in GitLab's API docs: every field of
 * the example is present, with the same JSON type (null is accepted on either side, since the
 * examples show one state of fields that are nullable).
 */

let gitlab: StandIn;

function shapeProblems(example: unknown, actual: unknown, path = '$'): string[] {
  if (example === null || actual === null) return [];
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : typeof v);
  if (kind(example) !== kind(actual))
    return [`${path}: expected ${kind(example)}, got ${kind(actual)} (${JSON.stringify(actual)})`];
  if (Array.isArray(example) && Array.isArray(actual)) {
    return example.length > 0 && actual.length > 0 ? shapeProblems(example[0], actual[0], `${path}[0]`) : [];
  }
  if (typeof example === 'object' && typeof actual === 'object') {
    const a = actual as Record<string, unknown>;
    return Object.entries(example as Record<string, unknown>).flatMap(([key, value]) =>
      key in a ? shapeProblems(value, a[key], `${path}.${key}`) : [`${path}.${key}: missing`],
    );
  }
  return [];
}

const get = async (path: string, username = 'alice') => {
  const res = await fetch(`${gitlab.url}/api/v4${path}`, { headers: { 'PRIVATE-TOKEN': gitlab.user(username).token } });
  expect(res.status, path).toBeLessThan(300);
  return res.json();
};
const post = async (path: string, body: Record<string, unknown>, username = 'alice') => {
  const res = await fetch(`${gitlab.url}/api/v4${path}`, {
    method: 'POST',
    headers: { 'PRIVATE-TOKEN': gitlab.user(username).token, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, path).toBe(201);
  return res.json();
};

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
});
afterAll(async () => {
  await gitlab?.close();
});

describe("the stand-in's responses have the shape of GitLab's documented examples", () => {
  it.each([
    ['version', () => get('/version')],
    ['personalAccessTokenSelf', () => get('/personal_access_tokens/self')],
    ['currentUser', () => get('/user')],
    ['project', () => get('/projects/acme%2Fweb-app')],
    ['branch', () => get('/projects/acme%2Fweb-app/repository/branches/main')],
    ['protectedBranch', () => get('/projects/acme%2Fweb-app/protected_branches/main')],
  ] as const)('%s', async (name, call) => {
    expect(shapeProblems(docsExamples[name], await call())).toEqual([]);
  });

  it('mergeRequest, issue and note', async () => {
    const mr = await post('/projects/acme%2Fweb-app/merge_requests', {
      source_branch: 'feature/login',
      target_branch: 'main',
      title: 'Login',
    });
    expect(shapeProblems(docsExamples.mergeRequest, mr)).toEqual([]);
    expect(
      shapeProblems(docsExamples.mergeRequest, await get(`/projects/acme%2Fweb-app/merge_requests/${mr.iid}`)),
    ).toEqual([]);
    const issue = await post('/projects/acme%2Fweb-app/issues', { title: 'Broken' });
    expect(shapeProblems(docsExamples.issue, issue)).toEqual([]);
    const note = await post(`/projects/acme%2Fweb-app/merge_requests/${mr.iid}/notes`, { body: 'ok' });
    expect(shapeProblems(docsExamples.note, note)).toEqual([]);
  });

  it('oauthToken', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const authorize = new URL(`${gitlab.url}/oauth/authorize`);
    const redirect = 'cospec://oauth/callback';
    authorize.search = new URLSearchParams({
      client_id: gitlab.oauthApp.clientId,
      redirect_uri: redirect,
      response_type: 'code',
      scope: 'api',
      state: 'x',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const code = new URL(await gitlab.approveAuthorization(authorize.toString(), 'alice')).searchParams.get('code')!;
    const res = await fetch(`${gitlab.url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: gitlab.oauthApp.clientId,
        code,
        redirect_uri: redirect,
        code_verifier: verifier,
      }),
    });
    expect(shapeProblems(docsExamples.oauthToken, await res.json())).toEqual([]);
  });
});
