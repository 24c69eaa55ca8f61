import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitLabStandIn, type StandIn } from '../../../tools/gitlab-standin';

/** Real git against the stand-in's smart HTTP (git http-backend behind GitLab's auth and rules). */

let gitlab: StandIn;
let work: string;

function git(args: string[], cwd = work): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      {
        cwd,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: work,
          GIT_CONFIG_NOSYSTEM: '1',
          GIT_TERMINAL_PROMPT: '0',
          GIT_AUTHOR_NAME: 'Tester',
          GIT_AUTHOR_EMAIL: 'tester@example.com',
          GIT_COMMITTER_NAME: 'Tester',
          GIT_COMMITTER_EMAIL: 'tester@example.com',
          LANG: 'C',
        },
        timeout: 60_000,
      },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

/** http://user:secret@host/path.git */
const remote = (user: string, secret: string, path: string) => {
  const url = new URL(`${gitlab.url}/${path}.git`);
  url.username = encodeURIComponent(user);
  url.password = encodeURIComponent(secret);
  return url.toString();
};

async function cloneAs(user: string, secret: string, path: string, dir: string) {
  return git(['clone', '-q', remote(user, secret, path), dir]);
}

async function commitFile(dir: string, name: string) {
  await writeFile(join(dir, name), `${name}\n`);
  expect((await git(['add', name], dir)).code).toBe(0);
  expect((await git(['commit', '-q', '-m', `add ${name}`], dir)).code).toBe(0);
}

const serverRef = async (project: string, ref: string) =>
  (await git(['--git-dir', gitlab.repoDir(project), 'rev-parse', '--verify', '--quiet', ref])).stdout.trim();

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  work = await mkdtemp(join(tmpdir(), 'gitlab-standin-git-'));
});
afterAll(async () => {
  await gitlab?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('authentication as GitLab takes it', () => {
  it('clones with oauth2:<PAT>, <user>:<PAT> and <user>:<password>', async () => {
    const bot = gitlab.user('cospec-bot');
    expect((await cloneAs('oauth2', bot.token, 'acme/web-app', 'c1')).code).toBe(0);
    expect((await cloneAs('cospec-bot', bot.token, 'acme/web-app', 'c2')).code).toBe(0);
    expect((await cloneAs('cospec-bot', bot.password, 'acme/web-app', 'c3')).code).toBe(0);
    const log = await git(['log', '--format=%s', 'origin/main'], join(work, 'c1'));
    expect(log.stdout.trim().split('\n')).toEqual([
      'Document how to run it',
      'Greet by name',
      'Add the app entry point',
      'Initial commit',
    ]);
  });

  it('refuses missing, wrong, revoked and expired credentials with HTTP Basic: Access denied', async () => {
    const anonymous = await git(['clone', '-q', `${gitlab.url}/acme/web-app.git`, 'anon']);
    expect(anonymous.code).not.toBe(0);
    for (const secret of ['wrong', gitlab.tokens.revoked, gitlab.tokens.expired]) {
      const r = await cloneAs('oauth2', secret, 'acme/web-app', `bad-${secret.slice(-4)}`);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/HTTP Basic: Access denied/);
    }
    // a PAT under someone else's name is not accepted
    expect((await cloneAs('alice', gitlab.user('cospec-bot').token, 'acme/web-app', 'mismatch')).code).not.toBe(0);
  });

  it('a token without repository scopes cannot clone', async () => {
    const r = await cloneAs('oauth2', gitlab.tokens.readUserOnly, 'acme/web-app', 'readuser');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Access denied/);
  });

  it('hides projects the user cannot see: not found, not forbidden', async () => {
    const r = await cloneAs('oauth2', gitlab.user('cospec-bot').token, 'tools/secret', 'secret');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/could not be found or you don't have permission/);
  });

  it('anyone may clone a public project', async () => {
    expect((await git(['clone', '-q', `${gitlab.url}/acme/service-07.git`, 'public'])).code).toBe(0);
  });
});

describe('push permission by access level', () => {
  it('a Guest cannot even download the code', async () => {
    const r = await cloneAs('oauth2', gitlab.user('gus').token, 'acme/web-app', 'guest');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not allowed to download code/);
  });

  it('a Reporter clones but cannot push', async () => {
    const rita = gitlab.user('rita');
    expect((await cloneAs('oauth2', rita.token, 'acme/web-app', 'rita')).code).toBe(0);
    await commitFile(join(work, 'rita'), 'rita.txt');
    const push = await git(['push', 'origin', 'HEAD:refs/heads/rita/topic'], join(work, 'rita'));
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/You are not allowed to push code to this project/);
    expect(await serverRef('acme/web-app', 'refs/heads/rita/topic')).toBe('');
  });

  it("an archived project clones but refuses every push with GitLab's message, before any role check", async () => {
    const bot = gitlab.user('cospec-bot');
    expect((await cloneAs('oauth2', bot.token, 'acme/service-30', 'archived')).code).toBe(0);
    await commitFile(join(work, 'archived'), 'archived.txt');
    const push = await git(['push', 'origin', 'HEAD:refs/heads/cospec/archived'], join(work, 'archived'));
    expect(push.code).not.toBe(0);
    // Repositories::GitHttpController renders GitAccess's ForbiddenError as a 403 text/plain body; git shows it as remote:.
    expect(push.stderr).toMatch(/remote: You can't push code to an archived project\./);
    expect(push.stderr).toMatch(/403/);
    expect(await serverRef('acme/service-30', 'refs/heads/cospec/archived')).toBe('');
    const res = await fetch(`${gitlab.url}/acme/service-30.git/info/refs?service=git-receive-pack`, {
      headers: { authorization: `Basic ${Buffer.from(`oauth2:${gitlab.user('alice').token}`).toString('base64')}` },
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toBe("You can't push code to an archived project.\n");
  });

  it('the bot (Developer) pushes a new branch', async () => {
    const dir = join(work, 'c1');
    await commitFile(dir, 'bot.txt');
    const push = await git(['push', 'origin', 'HEAD:refs/heads/cospec/topic'], dir);
    expect(push.code, push.stderr || push.stdout).toBe(0);
    expect(await serverRef('acme/web-app', 'refs/heads/cospec/topic')).toBe(
      (await git(['rev-parse', 'HEAD'], dir)).stdout.trim(),
    );
  });

  it('a Developer push to the protected default branch is refused by the pre-receive hook, as on GitLab', async () => {
    const before = await serverRef('acme/web-app', 'refs/heads/main');
    const push = await git(['push', 'origin', 'HEAD:refs/heads/main'], join(work, 'c1'));
    expect(push.code).not.toBe(0);
    expect(push.stderr).toMatch(/GitLab: You are not allowed to push code to protected branches on this project/);
    expect(push.stderr).toMatch(/pre-receive hook declined/);
    expect(await serverRef('acme/web-app', 'refs/heads/main')).toBe(before);
  });

  it('a wildcard rule protects release/* branches too', async () => {
    expect((await cloneAs('oauth2', gitlab.user('maya').token, 'acme/api-service', 'api')).code).toBe(0);
    const push = await git(['push', 'origin', 'HEAD:refs/heads/release/2.0'], join(work, 'api'));
    expect(push.stderr).toMatch(/protected branches/);
  });

  it('a Developer may push to the unprotected default branch of acme/unprotected-lib', async () => {
    const dir = join(work, 'lib');
    expect((await cloneAs('oauth2', gitlab.user('cospec-bot').token, 'acme/unprotected-lib', 'lib')).code).toBe(0);
    await commitFile(dir, 'lib.txt');
    const push = await git(['push', 'origin', 'HEAD:main'], dir);
    expect(push.code, push.stderr || push.stdout).toBe(0);
  });

  it('a Maintainer pushes to the protected branch but may not force-push or delete it', async () => {
    const dir = join(work, 'alice');
    expect((await cloneAs('oauth2', gitlab.user('alice').token, 'acme/web-app', 'alice')).code).toBe(0);
    await commitFile(dir, 'alice.txt');
    expect((await git(['push', 'origin', 'HEAD:main'], dir)).code).toBe(0);
    expect((await git(['reset', '-q', '--hard', 'HEAD~2'], dir)).code).toBe(0);
    const force = await git(['push', '--force', 'origin', 'HEAD:main'], dir);
    expect(force.stderr).toMatch(/not allowed to force push code to a protected branch/);
    const del = await git(['push', 'origin', ':main'], dir);
    expect(del.stderr).toMatch(/only delete protected branches using the web interface/);
  });

  it('an OAuth access token works for git like a PAT', async () => {
    const flowToken = await oauthToken('maya');
    expect((await cloneAs('oauth2', flowToken, 'acme/unprotected-lib', 'oauth-clone')).code).toBe(0);
  });
});

/** A real authorization-code + PKCE round trip, to get an OAuth access token. */
async function oauthToken(username: string): Promise<string> {
  const { createHash, randomBytes } = await import('node:crypto');
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${gitlab.url}/oauth/authorize`);
  const params = {
    client_id: gitlab.oauthApp.clientId,
    redirect_uri: 'cospec://oauth/callback',
    response_type: 'code',
    scope: 'api read_user',
    state: 's1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) authorize.searchParams.set(k, v);
  const code = new URL(await gitlab.approveAuthorization(authorize.toString(), username)).searchParams.get('code')!;
  const res = await fetch(`${gitlab.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: params.redirect_uri,
      client_id: params.client_id,
      code_verifier: verifier,
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}
