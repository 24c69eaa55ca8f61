import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CospecError } from '../../../src-shared/ipc/errors';
import { locateRange, reviewRefs } from '../../../src-main/services/review/locate';
import { ApiMergeRequestSchema, type ApiMergeRequest } from '../../../src-main/services/review/merge-request';
import { createMirrorStore, type Mirror } from '../../../src-main/services/git/mirror';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { lines, TempRepo } from './repo';

const cleanup: Array<() => void> = [];
afterEach(() => cleanup.splice(0).forEach((fn) => fn()));

/**
 * A remote (bare repo, reached over file://) with the agent's branch pushed to it, and the
 * project's empty mirror: the review fetches what it needs from the remote into the mirror.
 */
async function world() {
  const root = mkdtempSync(join(tmpdir(), 'cospec-locate-'));
  cleanup.push(() => rmSync(root, { recursive: true, force: true }));
  const remote = new TempRepo(join(root, 'remote.git'), { bare: true });
  const author = new TempRepo(join(root, 'author'));
  author.write('app.ts', lines(10));
  const base = author.commit('base');
  author.git('remote', 'add', 'origin', remote.dir);
  author.git('push', '-q', 'origin', 'main');
  const store = createMirrorStore({
    root: join(root, 'mirrors'),
    logger: createLogger({ sinks: [memorySink()] }),
    allowFileUrls: true,
  });
  const mirror: Mirror = await store.open({ accountId: 'acc', projectId: 1 });
  author.git('checkout', '-q', '-b', 'cospec/fix');
  author.write('app.ts', lines(10).replace('line 5\n', 'line five\n'));
  const head = author.commit('fix');
  author.git('push', '-q', 'origin', 'cospec/fix');
  // The target moves on after the MR was opened.
  author.git('checkout', '-q', 'main');
  author.write('other.ts', 'x\n');
  const targetTip = author.commit('unrelated');
  author.git('push', '-q', 'origin', 'main');
  return { remote, author, mirror, base, head, targetTip, url: `file://${remote.dir}` };
}

const mr = (over: Record<string, unknown> = {}): ApiMergeRequest =>
  ApiMergeRequestSchema.parse({
    iid: 4,
    project_id: 1,
    title: 't',
    state: 'opened',
    source_branch: 'cospec/fix',
    target_branch: 'main',
    web_url: 'w',
    author: { id: 1, username: 'bot' },
    created_at: '2026-11-25T10:00:00Z',
    ...over,
  });
const access = async () => ({ username: 'bot', password: 'not-a-real-token' });

// Real git processes on a busy two-core machine: allow more than vitest's default 5 s per test.
describe('locateRange', { timeout: 60_000 }, () => {
  it('fetches the agent’s branch into our own refs and returns GitLab’s diff_refs', async () => {
    const w = await world();
    const range = await locateRange({
      mirror: w.mirror,
      mr: mr({ diff_refs: { base_sha: w.base, head_sha: w.head, start_sha: w.base } }),
      targetUrl: w.url,
      sourceUrl: w.url,
      access,
    });
    expect(range).toEqual({ baseSha: w.base, headSha: w.head, startSha: w.base });
    expect((await w.mirror.git(['rev-parse', reviewRefs(4).head])).stdout.trim()).toBe(w.head);
    // Our refs only: the mirror's branches (GitLab's, for run outputs) are not touched.
    expect((await w.mirror.git(['for-each-ref', 'refs/heads'])).stdout.trim()).toBe('');
  });

  it('without diff_refs diffs from the merge base, not from the moved target', async () => {
    const w = await world();
    const range = await locateRange({ mirror: w.mirror, mr: mr(), targetUrl: w.url, sourceUrl: w.url, access });
    expect(range).toEqual({ baseSha: w.base, headSha: w.head, startSha: w.targetTip });
  });

  it('uses refs/merge-requests/IID/head when the source branch was deleted', async () => {
    const w = await world();
    const remote = w.remote;
    remote.git('update-ref', 'refs/merge-requests/4/head', w.head);
    remote.git('update-ref', '-d', 'refs/heads/cospec/fix');
    const range = await locateRange({ mirror: w.mirror, mr: mr(), targetUrl: w.url, sourceUrl: w.url, access });
    expect(range.headSha).toBe(w.head);
  });

  it('needs no fetch when the mirror has both commits', async () => {
    const w = await world();
    await locateRange({ mirror: w.mirror, mr: mr(), targetUrl: w.url, sourceUrl: w.url, access });
    const range = await locateRange({
      mirror: w.mirror,
      mr: mr({ diff_refs: { base_sha: w.base, head_sha: w.head, start_sha: null } }),
      targetUrl: 'file:///nonexistent',
      sourceUrl: 'file:///nonexistent',
      access,
    });
    expect(range).toEqual({ baseSha: w.base, headSha: w.head, startSha: w.base });
  });

  it('reports DIFF_UNAVAILABLE for an unreachable remote', async () => {
    const w = await world();
    const unreachable = await locateRange({
      mirror: w.mirror,
      mr: mr(),
      targetUrl: 'file:///nonexistent',
      sourceUrl: 'file:///nonexistent',
      access,
    }).catch((e: unknown) => e);
    expect(unreachable).toBeInstanceOf(CospecError);
    expect(unreachable).toBeInstanceOf(CospecError);
    expect((unreachable as CospecError).code).toBe('DIFF_UNAVAILABLE');
  });

  it('sends the account’s credentials over HTTP when asked, never in the URL or the mirror', async () => {
    const w = await world();
    const seen: Array<string | undefined> = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      // GitLab asks for credentials first; git's askpass answers on the second request.
      res.statusCode = req.headers.authorization ? 404 : 401;
      if (!req.headers.authorization) res.setHeader('WWW-Authenticate', 'Basic realm="GitLab"');
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/acme/app.git`;
    const error = await locateRange({ mirror: w.mirror, mr: mr(), targetUrl: url, sourceUrl: url, access }).catch(
      (e: unknown) => e,
    );
    expect((error as CospecError).code).toBe('DIFF_UNAVAILABLE');
    expect(seen).toContain(`Basic ${Buffer.from('bot:not-a-real-token').toString('base64')}`);
    // Nothing of the token is left in the mirror's config.
    expect((await w.mirror.git(['config', '--list', '--local'])).stdout).not.toContain('not-a-real-token');
  });
});
