import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src-main/platform/logger';
import { createCredentialGateway, type CredentialGateway } from '../../../src-main/services/gateway';
import { startGitLabStandIn } from '../../../tools/gitlab-standin';
import { bareEnv, run, scratch, startTestProxy, type TestProxy } from './helpers';

/**
 * How the gateway reads the account's token (an OS keychain call in the app): one read serves the
 * requests made together, and a token GitLab refuses is never reused, so a token refreshed by the
 * app reaches the very next request.
 */

let gitlab: Awaited<ReturnType<typeof startGitLabStandIn>>;
let gateway: CredentialGateway;
let proxy: TestProxy;
let work: Awaited<ReturnType<typeof scratch>>;
let current: string;
let reads = 0;

const version = () =>
  run('curl', ['--silent', '--proxy', proxy.url, '-w', '\n%{http_code}', `${gitlab.url}/api/v4/version`], {
    env: bareEnv(work.dir),
  });

beforeAll(async () => {
  gitlab = await startGitLabStandIn();
  current = gitlab.user('cospec-bot').token;
  work = await scratch('cospec-gateway-token-');
  gateway = await createCredentialGateway({
    runId: 'run-token',
    instanceUrl: gitlab.url,
    projectPaths: ['acme/web-app'],
    getCredentials: async () => {
      reads++;
      return { token: current };
    },
    logDir: join(work.dir, 'run'),
    logger: createLogger({ sinks: [] }),
  });
  proxy = await startTestProxy(gateway);
});

afterAll(async () => {
  await proxy?.close();
  await gateway?.close();
  await gitlab?.close();
  await work?.cleanup();
});

describe('the gateway’s token reads', () => {
  it('answers requests made together with fewer token reads than requests', async () => {
    const before = reads;
    const answers = await Promise.all(Array.from({ length: 6 }, () => version()));
    for (const a of answers) expect(a.stdout.trim().split('\n').pop()).toBe('200');
    expect(reads - before).toBeGreaterThanOrEqual(1);
    expect(reads - before).toBeLessThan(answers.length);
  });

  it('reads the token again at once after GitLab refused it', async () => {
    // A gateway of its own, so no token is shared from earlier requests: its first read is revoked.
    let token = gitlab.tokens.revoked;
    let ownReads = 0;
    const own = await createCredentialGateway({
      runId: 'run-token-refresh',
      instanceUrl: gitlab.url,
      projectPaths: ['acme/web-app'],
      getCredentials: async () => {
        ownReads++;
        return { token };
      },
      logDir: join(work.dir, 'run-refresh'),
      logger: createLogger({ sinks: [] }),
    });
    const ownProxy = await startTestProxy(own);
    const ask = () =>
      run('curl', ['--silent', '--proxy', ownProxy.url, '-w', '\n%{http_code}', `${gitlab.url}/api/v4/version`], {
        env: bareEnv(work.dir),
      });
    try {
      const refused = await ask();
      expect(refused.stdout.trim().split('\n').pop()).toBe('401');
      expect(refused.stdout).toContain('refused the account');
      // The app refreshed the token: the next request uses it, without waiting for the shared one to age.
      token = gitlab.user('cospec-bot').token;
      const ok = await ask();
      expect(ok.stdout.trim().split('\n').pop()).toBe('200');
      expect(ownReads).toBe(2);
    } finally {
      await ownProxy.close();
      await own.close();
    }
  });
});
