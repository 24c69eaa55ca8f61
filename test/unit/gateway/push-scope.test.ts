import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { commitsInPack, reachesThroughPack } from '../../../src-main/services/gateway/pack-commits';
import { FLUSH_PKT, parseReportStatus, pktLine } from '../../../src-main/services/gateway/pkt-line';
import {
  decideRef,
  matchesProtected,
  refusedPushOptions,
  type BranchRules,
  type PushScope,
} from '../../../src-main/services/gateway/push-scope';
import {
  headWithPushOption,
  parseReceivePackHead,
  refusalResponse,
} from '../../../src-main/services/gateway/receive-pack';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const Z = '0'.repeat(40);
const scope: PushScope = { prefix: 'cospec/', inheritedBranches: ['cospec/parent'], ciSkip: false };
const rules: BranchRules = { defaultBranch: 'main', protectedPatterns: ['release/*', '*-stable', 'cospec/locked'] };
const decide = (old: string, next: string, ref: string, created: string[] = []) =>
  decideRef({ oldSha: old, newSha: next, ref }, scope, rules, new Set(created));

describe('push scope decisions', () => {
  it('allows creating a branch under the prefix and anything on a branch the run created', () => {
    expect(decide(Z, A, 'refs/heads/cospec/x')).toEqual({ ok: true });
    expect(decide(A, B, 'refs/heads/cospec/x', ['cospec/x'])).toEqual({ ok: true });
    expect(decide(A, Z, 'refs/heads/cospec/x', ['cospec/x'])).toEqual({ ok: true });
  });

  it('asks for a fast-forward check on an inherited branch and refuses deleting it', () => {
    expect(decide(A, B, 'refs/heads/cospec/parent')).toEqual({ ok: true, check: 'fast-forward' });
    expect(decide(A, Z, 'refs/heads/cospec/parent')).toMatchObject({ ok: false });
  });

  it.each([
    ['refs/heads/main', Z, A, /default branch/],
    ['refs/heads/release/1.0', Z, A, /protected.*release\/\*/],
    ['refs/heads/cospec/x-stable', Z, A, /protected/],
    ['refs/heads/cospec/locked', Z, A, /protected/],
    ['refs/tags/v1', Z, A, /tags/],
    ['refs/merge-requests/1/head', Z, A, /only branches/],
    ['HEAD', Z, A, /only branches/],
    ['refs/heads/feature/x', Z, A, /outside/],
    ['refs/heads/cospec/', Z, A, /malformed|outside/],
    ['refs/heads/cospec/../main', Z, A, /malformed/],
    ['refs/heads/cospec/x', A, B, /not created by this run/],
    ['refs/heads/cospec/x', A, Z, /cannot delete/],
  ])('refuses %s (%s → %s)', (ref, old, next, reason) => {
    const d = decide(old, next, ref);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toMatch(reason);
  });

  it('refuses the default and protected branches even when the run created them', () => {
    expect(decide(A, B, 'refs/heads/main', ['main']).ok).toBe(false);
    expect(decide(A, B, 'refs/heads/cospec/locked', ['cospec/locked']).ok).toBe(false);
  });

  it('matches protected wildcards the way GitLab does (* spans slashes)', () => {
    expect(matchesProtected('release/*', 'release/1/2')).toBe(true);
    expect(matchesProtected('*', 'anything/at/all')).toBe(true);
    expect(matchesProtected('re.ease', 'release')).toBe(false);
    expect(matchesProtected('main', 'main2')).toBe(false);
  });

  it('lets only ci.skip through among push options', () => {
    expect(refusedPushOptions(['ci.skip'])).toEqual([]);
    expect(
      refusedPushOptions(['ci.skip=true', 'ci.variable=A=1', 'merge_request.create', 'mr.create', 'x']).map(
        (r) => r.key,
      ),
    ).toEqual(['ci.skip', 'ci.variable', 'merge_request.create', 'mr.create', 'x']);
  });
});

describe('receive-pack request head', () => {
  const head = (caps: string, options: string[] = []) =>
    Buffer.concat([
      pktLine(`${Z} ${A} refs/heads/cospec/x\0${caps}\n`),
      pktLine(`${A} ${B} refs/heads/cospec/y\n`),
      FLUSH_PKT,
      ...(options.length ? [...options.map((o) => pktLine(`${o}\n`)), FLUSH_PKT] : []),
      Buffer.from('PACK....'),
    ]);

  it('reads commands, capabilities and push options, and where the pack starts', () => {
    const body = head('report-status side-band-64k push-options', ['ci.skip', 'merge_request.create']);
    const parsed = parseReceivePackHead(body);
    expect(parsed).toMatchObject({
      status: 'ok',
      capabilities: ['report-status', 'side-band-64k', 'push-options'],
      pushOptions: ['ci.skip', 'merge_request.create'],
      pushCert: false,
    });
    if (parsed.status === 'ok') expect(body.subarray(parsed.packOffset).toString()).toBe('PACK....');
  });

  it('waits for more bytes while the head is cut, and rejects junk', () => {
    const body = head('report-status push-options', ['ci.skip']);
    expect(parseReceivePackHead(body.subarray(0, 60)).status).toBe('incomplete');
    expect(parseReceivePackHead(Buffer.from('zzzz nonsense')).status).toBe('error');
    expect(parseReceivePackHead(Buffer.concat([pktLine('not a command\n'), FLUSH_PKT])).status).toBe('error');
  });

  it('flags a push certificate', () => {
    const body = Buffer.concat([
      pktLine('push-cert\0report-status\n'),
      pktLine('certificate version 0.1\n'),
      pktLine(`${Z} ${A} refs/heads/main\n`),
      pktLine('push-cert-end\n'),
      FLUSH_PKT,
    ]);
    expect(parseReceivePackHead(body)).toMatchObject({
      status: 'ok',
      pushCert: true,
      commands: [{ ref: 'refs/heads/main' }],
    });
  });

  it('adds a push option with or without the client having sent any', () => {
    for (const body of [head('report-status'), head('report-status push-options', ['ci.skip=no'])]) {
      const parsed = parseReceivePackHead(body);
      if (parsed.status !== 'ok') throw new Error('parse');
      const next = Buffer.concat([headWithPushOption(body, parsed, 'ci.skip'), body.subarray(parsed.packOffset)]);
      const again = parseReceivePackHead(next);
      expect(again).toMatchObject({ status: 'ok', commands: parsed.commands });
      if (again.status === 'ok') {
        expect(again.pushOptions.at(-1)).toBe('ci.skip');
        expect(again.capabilities).toContain('push-options');
        expect(next.subarray(again.packOffset).toString()).toBe('PACK....');
      }
    }
  });

  it('answers a refused push with a report-status git reads, the reason on side-band 2', () => {
    const body = refusalResponse(
      ['report-status', 'side-band-64k'],
      [{ ref: 'refs/heads/main', reason: 'coSPEC gateway: main is the default branch\nsecond line' }],
      ['coSPEC gateway: this push was refused'],
    );
    const report = parseReportStatus(body);
    expect(report.unpack).toBe('ok');
    expect(report.refs.get('refs/heads/main')).toEqual({
      ok: false,
      reason: 'coSPEC gateway: main is the default branch second line',
    });
    expect(report.messages).toEqual(['coSPEC gateway: this push was refused']);
    expect(
      parseReportStatus(refusalResponse(['report-status'], [{ ref: 'refs/heads/x', reason: 'no' }], ['m'])).refs.get(
        'refs/heads/x',
      ),
    ).toEqual({ ok: false, reason: 'no' });
  });
});

describe('commits in a pushed pack', () => {
  const git = (dir: string, ...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_AUTHOR_NAME: 'a',
        GIT_AUTHOR_EMAIL: 'a@x',
        GIT_COMMITTER_NAME: 'a',
        GIT_COMMITTER_EMAIL: 'a@x',
      },
    });

  it('walks a real thin pack back to the old tip, and only through commits it can hash', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cospec-pack-'));
    try {
      git(dir, 'init', '-q');
      for (let i = 0; i < 3; i++) {
        git(dir, 'commit', '-q', '--allow-empty', '-m', `c${i} ${'x'.repeat(200)}`);
      }
      const old = git(dir, 'rev-parse', 'HEAD~2').toString().trim();
      const tip = git(dir, 'rev-parse', 'HEAD').toString().trim();
      const pack = execFileSync('git', ['pack-objects', '--stdout', '--thin', '--revs', '-q'], {
        cwd: dir,
        input: `${tip}\n^${old}\n`,
      });
      const commits = commitsInPack(pack);
      expect(commits.error).toBeUndefined();
      expect(commits.parents.size).toBe(2);
      expect(reachesThroughPack(commits, tip, old)).toBe(true);
      expect(reachesThroughPack(commits, tip, 'f'.repeat(40))).toBe(false);
      // A name that is not in the pack (the agent claims a sha it did not send) does not walk.
      expect(reachesThroughPack(commits, 'e'.repeat(40), old)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes names itself: a forged commit reaches only under its real hash', () => {
    const body = Buffer.from(
      `tree ${'4b825dc642cb6eb9a060e54bf8d69288fbee4904'}\nparent ${A}\nauthor a <a> 0 +0000\ncommitter a <a> 0 +0000\n\nforged\n`,
    );
    const real = createHash('sha1').update(`commit ${body.length}\0`).update(body).digest('hex');
    const header = Buffer.from([0x80 | (1 << 4) | (body.length & 15), body.length >> 4]);
    const pack = Buffer.concat([Buffer.from('PACK'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 1]), header, deflateSync(body)]);
    const commits = commitsInPack(pack);
    expect(reachesThroughPack(commits, real, A)).toBe(true);
    expect(reachesThroughPack(commits, B, A)).toBe(false);
  });

  it('fails closed on truncated, oversized or hostile packs', () => {
    expect(commitsInPack(Buffer.from('PACK\0\0\0\x02\0\0\0\x05')).error).toBeTruthy();
    expect(commitsInPack(Buffer.from('NOPE')).error).toBeTruthy();
    // An object header claiming 1 GB.
    const huge = Buffer.from([0x80 | (3 << 4), 0xff, 0xff, 0xff, 0x7f]);
    expect(
      commitsInPack(Buffer.concat([Buffer.from('PACK'), Buffer.from([0, 0, 0, 2, 0, 0, 0, 1]), huge])).error,
    ).toMatch(/too large/);
  });
});
