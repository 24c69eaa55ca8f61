import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CospecError } from '../../../src-shared/ipc/errors';
import type { RunRecord } from '../../../src-shared/model/run';
import { createLogger, memorySink } from '../../../src-main/platform/logger';
import { createAccountNetwork, type AccountNetwork } from '../../../src-main/services/gitlab';
import { createReviewGitLab, createReviewService, type ReviewService } from '../../../src-main/services/review';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { createGitService } from '../../../src-main/services/git';
import { createMirrorStore } from '../../../src-main/services/git/mirror';

/**
 * What the review suites share: the GitLab stand-in over TLS with its own CA, the bot account's
 * network (that CA trusted), the system git and the REST API as the bot to prepare merge requests,
 * and the review service wired to a list of run records.
 */

export const PROJECT = 'acme/web-app';
const project = encodeURIComponent(PROJECT);
const exec = promisify(execFile);

export type StandIn = Awaited<ReturnType<typeof startGitLabStandIn>>;

export interface ReviewFixture {
  gitlab: StandIn;
  net: AccountNetwork;
  root: string;
  token: string;
  logSink: ReturnType<typeof memorySink>;
  /** The system git as the bot, trusting the stand-in's CA; returns stdout. */
  git(dir: string, ...args: string[]): Promise<string>;
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  openMr(source: string, title: string, description?: string): Promise<number>;
  /** The review service over these runs (diffs in app-owned mirrors under root/mirrors; `git` forces the no-git path). */
  reviewService(runs: RunRecord[], options?: { noGit?: boolean }): ReviewService['handlers'];
  close(): Promise<void>;
}

/** The CospecError code a call fails with, or 'no error'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (e) {
    return e instanceof CospecError ? e.code : String(e);
  }
}

export async function startReviewFixture(name: string): Promise<ReviewFixture> {
  const gitlab = await startGitLabStandIn({ tls: true });
  const token = gitlab.user('cospec-bot').token;
  const root = mkdtempSync(join(tmpdir(), `cospec-${name}-it-`));
  writeFileSync(join(root, 'ca.pem'), gitlab.caPem!);
  const net = await createAccountNetwork(
    gitlab.url,
    { caCertificatesPem: gitlab.caPem!, useSystemCa: true },
    { env: {} },
  );
  const logSink = memorySink();

  // Asynchronous on purpose: the stand-in serves git from this same process, so a blocking call would starve it.
  const git = async (dir: string, ...args: string[]) => {
    const auth = `Authorization: Basic ${Buffer.from(`cospec-bot:${token}`).toString('base64')}`;
    const { stdout } = await exec('git', ['-C', dir, '-c', `http.extraHeader=${auth}`, ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_TERMINAL_PROMPT: '0',
        GIT_SSL_CAINFO: join(root, 'ca.pem'),
        GIT_AUTHOR_NAME: 'Agent',
        GIT_AUTHOR_EMAIL: 'a@example.com',
        GIT_COMMITTER_NAME: 'Agent',
        GIT_COMMITTER_EMAIL: 'a@example.com',
      },
    });
    return stdout;
  };

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${gitlab.url}/api/v4${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      // @ts-expect-error undici's dispatcher option on Node's fetch
      dispatcher: net.dispatcher,
    });
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };

  return {
    gitlab,
    net,
    root,
    token,
    logSink,
    git,
    api,
    openMr: async (source, title, description) =>
      (
        (await api('POST', `/projects/${project}/merge_requests`, {
          source_branch: source,
          target_branch: 'main',
          title,
          ...(description ? { description } : {}),
        })) as { iid: number }
      ).iid,
    reviewService(runs, options = {}) {
      const logger = createLogger({ sinks: [logSink] });
      const mirrors = createMirrorStore({ root: join(root, 'mirrors'), logger });
      return createReviewService({
        runs: {
          get: async (id) => {
            const run = runs.find((r) => r.id === id);
            if (!run) throw new CospecError('NOT_FOUND', 'no such run');
            return run;
          },
          list: async () => runs,
        },
        gitlabFor: (accountId) => {
          if (accountId !== 'acc-bot')
            throw new CospecError('NOT_FOUND', 'The account of this run is no longer connected.');
          return createReviewGitLab({
            instanceUrl: gitlab.url,
            network: () => net,
            withToken: (call) => call(token),
            gitCredentials: async () => ({ username: 'cospec-bot', password: token }),
          });
        },
        logger,
        mirrors: options.noGit ? { ...mirrors, available: async () => false } : mirrors,
        git: createGitService({ logger }),
      }).handlers;
    },
    async close() {
      await net.close();
      await gitlab.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
