import { describe, expect, it } from 'vitest';
import { classifyRequest } from '../../../src-main/services/gateway/guard';

const projects = ['acme/web-app', 'Group/Sub/Lib'];
const q = (s = '') => new URLSearchParams(s);
const classify = (method: string, path: string, query = '') => classifyRequest(method, path, q(query), projects);

describe('git smart HTTP guard', () => {
  it('lets the run project through for fetch and push, with or without .git', () => {
    expect(classify('GET', '/acme/web-app.git/info/refs', 'service=git-upload-pack')).toEqual({
      kind: 'git',
      projectPath: 'acme/web-app',
      service: 'git-upload-pack',
      endpoint: 'info-refs',
    });
    expect(classify('POST', '/acme/web-app.git/git-receive-pack')).toMatchObject({
      kind: 'git',
      service: 'git-receive-pack',
      endpoint: 'rpc',
    });
    expect(classify('GET', '/acme/web-app/info/refs', 'service=git-receive-pack')).toMatchObject({
      kind: 'git',
      projectPath: 'acme/web-app',
    });
  });

  it('matches nested groups case-insensitively, as GitLab does', () => {
    expect(classify('POST', '/group/sub/lib.git/git-upload-pack')).toMatchObject({
      kind: 'git',
      projectPath: 'group/sub/lib',
    });
  });

  it('refuses other projects with a reason naming the allowed ones', () => {
    const d = classify('GET', '/tools/secret.git/info/refs', 'service=git-upload-pack');
    expect(d).toMatchObject({ kind: 'refused', status: 403 });
    expect(d.kind === 'refused' && d.reason).toMatch(/tools\/secret is not part of this run.*acme\/web-app/);
  });

  it('refuses dumb HTTP, LFS, wrong methods and the web UI', () => {
    expect(classify('GET', '/acme/web-app.git/info/refs')).toMatchObject({ kind: 'refused' });
    expect(classify('GET', '/acme/web-app.git/HEAD')).toMatchObject({ kind: 'refused' });
    expect(classify('POST', '/acme/web-app.git/info/lfs/objects/batch')).toMatchObject({
      kind: 'refused',
      reason: expect.stringMatching(/LFS/),
    });
    expect(classify('GET', '/acme/web-app.git/git-receive-pack')).toMatchObject({ kind: 'refused' });
    expect(classify('GET', '/users/sign_in')).toMatchObject({ kind: 'refused' });
    expect(classify('POST', '/oauth/token')).toMatchObject({ kind: 'refused' });
  });

  it('refuses dot segments that a front server could normalise into another project', () => {
    expect(classify('GET', '/acme/web-app/../../tools/secret.git/info/refs', 'service=git-upload-pack')).toMatchObject({
      kind: 'refused',
      status: 400,
    });
    expect(
      classify('GET', '/acme/web-app/%2e%2e/%2E%2E/tools/secret.git/info/refs', 'service=git-upload-pack'),
    ).toMatchObject({ kind: 'refused', status: 400 });
  });
});

describe('REST API allowlist', () => {
  it('allows the work an agent does on its project: MRs, issues, notes, reads', () => {
    expect(classify('POST', '/api/v4/projects/acme%2Fweb-app/merge_requests')).toEqual({
      kind: 'api',
      project: { path: 'acme/web-app' },
      records: 'merge_request',
    });
    expect(classify('POST', '/api/v4/projects/acme%2Fweb-app/issues')).toMatchObject({ kind: 'api', records: 'issue' });
    expect(classify('POST', '/api/v4/projects/acme%2Fweb-app/merge_requests/3/notes')).toMatchObject({
      records: 'note',
      noteable: { type: 'merge_request', iid: 3 },
    });
    expect(classify('POST', '/api/v4/projects/acme%2Fweb-app/issues/7/notes')).toMatchObject({
      records: 'note',
      noteable: { type: 'issue', iid: 7 },
    });
    expect(classify('GET', '/api/v4/projects/acme%2Fweb-app/repository/files/src%2Fmain.ts/raw')).toMatchObject({
      kind: 'api',
    });
    expect(classify('PUT', '/api/v4/projects/acme%2Fweb-app/merge_requests/3')).toMatchObject({ kind: 'api' });
    expect(classify('GET', '/api/v4/user')).toEqual({ kind: 'api' });
  });

  it('leaves numeric project ids for the caller to resolve', () => {
    expect(classify('POST', '/api/v4/projects/42/issues')).toMatchObject({ kind: 'api', project: { id: 42 } });
  });

  it('refuses other projects, even for reads', () => {
    expect(classify('GET', '/api/v4/projects/tools%2Fsecret')).toMatchObject({ kind: 'refused', status: 403 });
    expect(classify('POST', '/api/v4/projects/tools%2Fsecret/issues')).toMatchObject({ kind: 'refused' });
  });

  it.each([
    ['POST', '/api/v4/user/personal_access_tokens'],
    ['POST', '/api/v4/users/1/impersonation_tokens'],
    ['GET', '/api/v4/personal_access_tokens'],
    ['GET', '/api/v4/admin/ci/variables'],
    ['POST', '/api/v4/projects/acme%2Fweb-app/access_tokens'],
    ['GET', '/api/v4/projects/acme%2Fweb-app/variables'],
    ['POST', '/api/v4/projects/acme%2Fweb-app/hooks'],
    ['DELETE', '/api/v4/projects/acme%2Fweb-app'],
    ['PUT', '/api/v4/projects/acme%2Fweb-app'],
    ['DELETE', '/api/v4/projects/acme%2Fweb-app/repository/branches/main'],
    ['PUT', '/api/v4/projects/acme%2Fweb-app/merge_requests/1/merge'],
    ['POST', '/api/v4/projects/acme%2Fweb-app/merge_requests/1/approve'],
    ['POST', '/api/v4/projects/acme%2Fweb-app/repository/commits'],
    ['POST', '/api/v4/projects/acme%2Fweb-app/members'],
    ['DELETE', '/api/v4/projects/acme%2Fweb-app/protected_branches/main'],
    ['POST', '/api/graphql'],
  ])('refuses %s %s', (method, path) => {
    expect(classify(method, path)).toMatchObject({ kind: 'refused', status: 403 });
  });

  it('refuses impersonation through the sudo parameter', () => {
    expect(classify('GET', '/api/v4/user', 'sudo=root')).toMatchObject({ kind: 'refused', status: 403 });
  });
});
