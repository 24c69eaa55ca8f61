import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import { commitsInPack, reachesThroughPack } from './pack-commits';
import type { RefUpdateCommand } from './pkt-line';
import { decideRef, refusedPushOptions, type BranchRules, type PushScope } from './push-scope';
import { headWithPushOption, parseReceivePackHead, refusalResponse, type ReceivePackHead } from './receive-pack';
import type { PushedRef } from './record';
import type { GatewayRecorder } from './recorder';

/**
 * Applies the run's push scope (push-scope.ts) to one git-receive-pack request before any of it
 * reaches GitLab: reads the head of the body (commands and push options), asks GitLab for the
 * project's default and protected branches, and then either answers the push itself — refused as
 * a whole, with a report-status git prints as `remote: …` and `! [remote rejected] … (reason)`,
 * each refusal recorded — or hands back the body to forward, with `ci.skip` added when the scope
 * says so. Fast-forwards of inherited branches are checked against the commits in the pushed pack;
 * what cannot be checked is refused.
 */

/** The command list and push options of any real push fit easily; more is not a push. */
const HEAD_LIMIT = 1024 * 1024;
/** A push whose fast-forward must be checked is held in memory up to this size. */
const VERIFY_LIMIT = 128 * 1024 * 1024;
/** How long a refused push's remaining body is drained before answering anyway. */
const DRAIN_MS = 60_000;

export interface PushGuardDeps {
  scope: PushScope;
  /** e.g. "https://gitlab.example.com/api/v4" */
  apiBase: string;
  dispatcher: Dispatcher | undefined;
  recorder: GatewayRecorder;
}

export type Admission =
  { admitted: false } | { admitted: true; body: Readable; commands: RefUpdateCommand[]; decoded: boolean };

const projectSchema = z.object({ default_branch: z.string().nullable().optional() });
const protectedSchema = z.array(z.object({ name: z.string() }));
const ZERO = /^0+$/;

export class PushGuard {
  /** Branches this run created, per project (lower-cased path). */
  private readonly created = new Map<string, Set<string>>();

  constructor(private readonly deps: PushGuardDeps) {}

  /** Decides a push; answers `res` itself when it is refused. */
  async admit(req: IncomingMessage, res: ServerResponse, projectPath: string, token: string): Promise<Admission> {
    const gzip = /gzip/i.test(String(req.headers['content-encoding'] ?? ''));
    const src: Readable = gzip ? req.pipe(createGunzip()) : req;
    if (gzip) req.on('error', (err) => src.destroy(err));
    const first = await readUntil(src, (buf) => parseReceivePackHead(buf).status !== 'incomplete', HEAD_LIMIT);
    const parsed = parseReceivePackHead(first.data);
    if (parsed.status !== 'ok') {
      const reason =
        parsed.status === 'error'
          ? `malformed push (${parsed.error})`
          : first.ended
            ? 'malformed push (the command list is cut short)'
            : 'malformed push (the command list is too long)';
      this.refusal('push', '(request)', reason);
      await drain(src);
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(`coSPEC gateway: ${reason}\n`);
      return { admitted: false };
    }
    const head: ReceivePackHead = parsed;
    const at = () => new Date().toISOString();

    const refused = new Map<string, string>();
    const optionRefusals = refusedPushOptions(head.pushOptions);
    if (head.pushCert) {
      for (const c of head.commands)
        refused.set(c.ref, 'signed pushes (push certificates) are not accepted through the gateway');
    }
    const needsCheck: RefUpdateCommand[] = [];
    if (head.commands.length > 0 && !head.pushCert) {
      let rules: BranchRules | undefined;
      let why = '';
      try {
        rules = await this.branchRules(projectPath, token);
      } catch (err) {
        why = err instanceof Error ? err.message : String(err);
      }
      const created = this.createdIn(projectPath);
      for (const c of head.commands) {
        if (!rules) {
          refused.set(
            c.ref,
            `the gateway could not read this project's branch rules from GitLab (${why}), so it cannot allow the push`,
          );
          continue;
        }
        const d = decideRef(c, this.deps.scope, rules, created);
        if (!d.ok) refused.set(c.ref, d.reason);
        else if (d.check === 'fast-forward') needsCheck.push(c);
      }
    }

    let rest: Readable | Buffer = src;
    if (refused.size === 0 && optionRefusals.length === 0 && needsCheck.length > 0) {
      const all = first.ended
        ? { data: first.data, ended: true }
        : await readUntil(src, undefined, VERIFY_LIMIT, first.data);
      if (!all.ended) {
        for (const c of needsCheck)
          refused.set(
            c.ref,
            `the push is over ${VERIFY_LIMIT / 1024 / 1024} MB, too large to check that it only fast-forwards ${branchOf(c)}`,
          );
      } else {
        const hashLength = head.commands[0]!.newSha.length === 64 ? 32 : 20;
        const commits = commitsInPack(all.data.subarray(head.packOffset), hashLength);
        for (const c of needsCheck) {
          if (!reachesThroughPack(commits, c.newSha, c.oldSha)) {
            refused.set(
              c.ref,
              `${branchOf(c)} belongs to the run this one continues: only a fast-forward is allowed, and this push is not one the gateway could verify${commits.error ? ` (${commits.error})` : ''}`,
            );
          }
        }
        rest = all.data.subarray(first.data.length);
      }
    }

    if (refused.size > 0 || optionRefusals.length > 0) {
      for (const [ref, reason] of refused) this.refusal('push', ref, reason);
      for (const o of optionRefusals) this.refusal('push_option', o.key, o.reason);
      const firstReason = [...refused.values()][0] ?? optionRefusals[0]!.reason;
      const refs = head.commands.map((c) => ({
        ref: c.ref,
        reason: `coSPEC gateway: ${refused.get(c.ref) ?? (optionRefusals.length && !refused.size ? firstReason : 'not pushed, because another ref of this push was refused')}`,
      }));
      for (const c of head.commands) {
        this.deps.recorder.add('gateway.push', {
          at: at(),
          projectPath,
          ...pushedRef(c),
          result: 'rejected',
          reason: refs.find((r) => r.ref === c.ref)!.reason,
        });
      }
      const messages = [
        'coSPEC gateway: this push was refused; nothing of it reached GitLab.',
        ...[...refused].map(([ref, reason]) => `coSPEC gateway: ${ref}: ${reason}`),
        ...optionRefusals.map((o) => `coSPEC gateway: ${o.reason}`),
      ];
      if (rest === src) await drain(src);
      const reports = head.capabilities.includes('report-status') || head.capabilities.includes('report-status-v2');
      if (!reports) {
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end(messages.join('\n') + '\n');
        return { admitted: false };
      }
      const body = refusalResponse(head.capabilities, refs, messages);
      res.writeHead(200, {
        'content-type': 'application/x-git-receive-pack-result',
        'cache-control': 'no-cache',
        'content-length': body.length,
      });
      res.end(body);
      return { admitted: false };
    }

    let headBytes = first.data.subarray(0, head.packOffset);
    if (this.deps.scope.ciSkip && !head.pushOptions.includes('ci.skip') && head.commands.length > 0)
      headBytes = headWithPushOption(first.data, head, 'ci.skip');
    const body = new PassThrough();
    body.write(headBytes);
    body.write(first.data.subarray(head.packOffset));
    if (Buffer.isBuffer(rest)) body.end(rest);
    else {
      rest.on('error', (err) => body.destroy(err));
      rest.pipe(body);
    }
    return { admitted: true, body, commands: head.commands, decoded: gzip };
  }

  /**
   * Decides a branch the agent asks GitLab's API to create (POST repository/branches): the same
   * rules as pushing a new branch, so the API is no way around the run's prefix. Returns the
   * reason when refused (and records it); call `settle` with the result once GitLab answered.
   */
  async admitBranchCreation(projectPath: string, branch: string, token: string): Promise<string | undefined> {
    let reason: string | undefined;
    try {
      const rules = await this.branchRules(projectPath, token);
      const create: RefUpdateCommand = { oldSha: '0'.repeat(40), newSha: 'f'.repeat(40), ref: `refs/heads/${branch}` };
      const d = decideRef(create, this.deps.scope, rules, this.createdIn(projectPath));
      if (!d.ok) reason = d.reason;
      // An existing branch "created" again is GitLab's to refuse; a branch of the parent run is
      // never re-created from another start point here.
      else if (this.deps.scope.inheritedBranches.includes(branch))
        reason = `${branch} belongs to the run this one continues: it may be fast-forwarded by a push, not re-created`;
    } catch (err) {
      reason = `the gateway could not read this project's branch rules from GitLab (${err instanceof Error ? err.message : String(err)}), so it cannot allow the branch`;
    }
    if (reason) this.refusal('api', `POST repository/branches ${branch}`, reason);
    return reason;
  }

  /** After GitLab's answer: remembers the branches this run created (it may rewrite or delete those). */
  settle(projectPath: string, results: Array<Pick<PushedRef, 'branch' | 'change' | 'result'>>): void {
    const created = this.createdIn(projectPath);
    for (const r of results) {
      if (r.result !== 'ok' || !r.branch) continue;
      if (r.change === 'created') created.add(r.branch);
      else if (r.change === 'deleted') created.delete(r.branch);
    }
  }

  private createdIn(projectPath: string): Set<string> {
    const key = projectPath.toLowerCase();
    let set = this.created.get(key);
    if (!set) this.created.set(key, (set = new Set()));
    return set;
  }

  private refusal(kind: 'push' | 'push_option' | 'api', target: string, reason: string): void {
    this.deps.recorder.add('gateway.refusal', { at: new Date().toISOString(), kind, target, reason });
  }

  /** The default branch and protected branch rules, asked of GitLab with the account's token. */
  private async branchRules(projectPath: string, token: string): Promise<BranchRules> {
    const base = `${this.deps.apiBase}/projects/${encodeURIComponent(projectPath)}`;
    const get = async (url: string) => {
      const res = await request(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        ...(this.deps.dispatcher ? { dispatcher: this.deps.dispatcher } : {}),
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      return { json: JSON.parse(text) as unknown, next: String(res.headers['x-next-page'] ?? '') };
    };
    const project = projectSchema.parse((await get(base)).json);
    const protectedPatterns: string[] = [];
    for (let page = 1; page <= 20; page++) {
      const { json, next } = await get(`${base}/protected_branches?per_page=100&page=${page}`);
      protectedPatterns.push(...protectedSchema.parse(json).map((b) => b.name));
      if (!next) break;
      if (page === 20) throw new Error('more than 2,000 protected branch rules');
    }
    return { defaultBranch: project.default_branch ?? null, protectedPatterns };
  }
}

function branchOf(c: RefUpdateCommand): string {
  return c.ref.replace(/^refs\/heads\//, '');
}

function pushedRef(c: RefUpdateCommand): Pick<PushedRef, 'ref' | 'branch' | 'oldSha' | 'newSha' | 'change'> {
  return {
    ref: c.ref,
    ...(c.ref.startsWith('refs/heads/') ? { branch: c.ref.slice('refs/heads/'.length) } : {}),
    oldSha: c.oldSha,
    newSha: c.newSha,
    change: ZERO.test(c.oldSha) ? 'created' : ZERO.test(c.newSha) ? 'deleted' : 'updated',
  };
}

/**
 * Reads from `src` until `enough(data)` or `limit` bytes or the end; leaves the stream paused with
 * nothing lost, so the caller can pipe the rest on.
 */
function readUntil(
  src: Readable,
  enough: ((data: Buffer) => boolean) | undefined,
  limit: number,
  start: Buffer = Buffer.alloc(0),
): Promise<{ data: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    // A body that arrived whole in the first read may have ended while paused: its 'end' is gone.
    if (src.readableEnded) return resolve({ data: start, ended: true });
    const chunks: Buffer[] = [start];
    let size = start.length;
    const done = (ended: boolean) => {
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('error', onError);
      if (!ended) src.pause();
      resolve({ data: Buffer.concat(chunks), ended });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit || enough?.(Buffer.concat(chunks))) done(false);
    };
    const onEnd = () => done(true);
    const onError = (err: Error) => {
      src.off('data', onData);
      src.off('end', onEnd);
      reject(err);
    };
    // The body may have ended right after an earlier read paused it: 'end' was emitted then.
    if (src.readableEnded) return resolve({ data: Buffer.concat(chunks), ended: true });
    src.on('data', onData);
    src.on('end', onEnd);
    src.on('error', onError);
    src.resume();
  });
}

/** Discards the rest of a refused push's body, so the client reads the answer instead of a reset. */
function drain(src: Readable): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(finish, DRAIN_MS);
    function finish() {
      clearTimeout(timer);
      src.off('end', finish);
      src.off('error', finish);
      src.off('close', finish);
      resolve();
    }
    if (src.readableEnded) return finish();
    src.on('end', finish);
    src.on('error', finish);
    src.on('close', finish);
    src.on('data', () => undefined);
    src.resume();
  });
}
