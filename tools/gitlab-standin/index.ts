import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Faults, type Fault } from './faults';
import type { PushEvent } from './git/push-options';
import { writeHooks } from './git/hooks';
import type { IssueRecord, MergeRequestRecord } from './model';
import { defaultApp, type OAuthApp } from './oauth/app';
import { approveAuthorization } from './oauth/driver';
import { OAuthServer } from './oauth/server';
import { seed, type SeedTokens } from './seed';
import { createHandler } from './server';
import { Store } from './store';
import { createTlsMaterial } from './tls';

export type { Fault } from './faults';
export type { IssueRecord, MergeRequestRecord } from './model';

export interface StandInOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Interface to listen on; default 127.0.0.1. The URL uses 127.0.0.1 unless this is a name. */
  host?: string;
  /** HTTPS with a freshly generated CA (caPem) whose certificate names only the URL's host. */
  tls?: boolean;
  /** Where bare repositories live; a temp dir (removed on close) by default. Repositories are re-seeded on start. */
  dataDir?: string;
  /** Redirect URIs registered for the OAuth application (default cospec://oauth/callback and http://127.0.0.1/callback). */
  oauthRedirectUris?: string[];
  /** What GET /api/v4/version reports (default 17.5.0). */
  version?: string;
  /**
   * How long each background phase of GitLab's mergeability check lasts: a new MR is `preparing`,
   * then `checking`; after a push it is `unchecked` until read, then `checking` (default 0).
   */
  mergeabilityDelayMs?: number;
}

export interface StandInUser {
  id: number;
  username: string;
  name: string;
  password: string;
  /** A personal access token with api, read_user, read_repository, write_repository, valid a year. */
  token: string;
  role: string;
  admin: boolean;
  /** The dedicated automation user (cospec-bot). The API reports bot:false for it, as GitLab does for a regular user. */
  bot: boolean;
}

export interface StandIn {
  url: string;
  /** The CA to trust in TLS mode. */
  caPem?: string;
  dataDir: string;
  users: StandInUser[];
  user(username: string): StandInUser;
  /** Special personal access tokens of cospec-bot. */
  tokens: SeedTokens;
  oauthApp: { clientId: string; redirectUris: string[] };
  faults: {
    add(fault: Fault): () => void;
    clear(): void;
    readonly hits: ReadonlyArray<{ method: string; path: string; fault: Fault }>;
  };
  /** Drives the consent page like a browser; returns the redirect (callback URL with code+state, or error). */
  approveAuthorization(authorizeUrl: string, username: string, options?: { deny?: boolean }): Promise<string>;
  createPersonalAccessToken(
    username: string,
    options: { scopes: string[]; expiresAt: string | null; name?: string },
  ): Promise<string>;
  /** Every request served (method, path, status), oldest first. */
  readonly requests: ReadonlyArray<{ method: string; path: string; status: number }>;
  /** How many TCP connections the server has accepted so far (e.g. to prove all came through a proxy). */
  readonly connections: number;
  /** Revokes a PAT or an OAuth access/refresh token (its pair too). */
  revokeToken(token: string): Promise<void>;
  /** Makes a token expired (OAuth or PAT) without waiting. */
  expireToken(token: string): void;
  /**
   * What a user's "Revoke" under Preferences → Applications → Authorized applications does: every
   * OAuth access and refresh token of that user for the application stops working. Returns how many
   * pairs were revoked.
   */
  revokeAuthorizedApplication(username: string, clientId?: string): number;
  mergeRequests(projectPath: string): MergeRequestRecord[];
  issues(projectPath: string): IssueRecord[];
  /** Every accepted push with its push options: what its branch pipeline would have been (ci.skip, ci.variable). */
  pushEvents(projectPath: string): PushEvent[];
  /** The bare repository of a project, for `git --git-dir`. */
  repoDir(projectPath: string): string;
  /** Changes how long each phase of the mergeability check lasts, from now on (see StandInOptions). */
  setMergeabilityDelay(ms: number): void;
  /**
   * Test control: holds every background mergeability phase (preparing, checking) until the returned
   * release is called, so a test observes "checking" without racing setMergeabilityDelay's clock.
   */
  holdMergeabilityChecks(): () => void;
  /** Test control: while checks are held, lets the next background phase of one MR end (preparing → checking → checked). */
  stepMergeabilityCheck(): void;
  close(): Promise<void>;
}

export async function startGitLabStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const ownsDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'gitlab-standin-'));
  const reposDir = join(dataDir, 'repositories');
  rmSync(reposDir, { recursive: true, force: true });
  mkdirSync(reposDir, { recursive: true });
  const hooksDir = writeHooks(dataDir);
  const store = new Store();
  store.mergeabilityDelayMs = options.mergeabilityDelayMs ?? 0;
  const tokens = await seed(store, reposDir);
  const app: OAuthApp = defaultApp(options.oauthRedirectUris);
  const faults = new Faults();
  const oauth = new OAuthServer(store, [app]);
  const listenHost = options.host ?? '127.0.0.1';
  const urlHost = listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
  let url = '';
  const pushEvents = new Map<number, PushEvent[]>();
  const inner = createHandler({
    store,
    pushEvents,
    faults,
    oauth,
    version: options.version ?? '17.5.0',
    reposDir,
    hooksDir,
    baseUrl: () => url,
  });
  const requests: Array<{ method: string; path: string; status: number }> = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () =>
      requests.push({
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0] ?? '/',
        status: res.statusCode,
      }),
    );
    void inner(req, res);
  };
  const tls = options.tls ? createTlsMaterial(urlHost) : undefined;
  const server: Server = tls
    ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handler)
    : createHttpServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, listenHost, () => resolve());
  });
  let connections = 0;
  server.on('connection', () => connections++);
  const { port } = server.address() as AddressInfo;
  url = `${tls ? 'https' : 'http'}://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;

  const users: StandInUser[] = store.users.map((u) => ({
    id: u.id,
    username: u.username,
    name: u.name,
    password: u.password,
    token: store.tokens.find((t) => t.user_id === u.id && t.kind === 'pat')!.token,
    role: u.role,
    admin: u.is_admin,
    bot: u.dedicated_bot,
  }));
  return {
    url,
    caPem: tls?.caPem,
    dataDir,
    users,
    user(username) {
      const found = users.find((u) => u.username === username);
      if (!found) throw new Error(`the GitLab stand-in has no user "${username}"`);
      return found;
    },
    tokens,
    requests,
    get connections() {
      return connections;
    },
    oauthApp: { clientId: app.clientId, redirectUris: [...app.redirectUris] },
    faults,
    approveAuthorization: (authorizeUrl, username, opts) =>
      approveAuthorization(store, tls?.caPem, authorizeUrl, username, opts),
    async createPersonalAccessToken(username, opts) {
      return store.issuePat(store.requireUser(username), {
        name: opts.name,
        scopes: opts.scopes,
        expiresAt: opts.expiresAt,
      }).token;
    },
    async revokeToken(token) {
      const record = store.tokens.find((t) => t.token === token || t.refresh_token === token);
      if (!record) throw new Error('the GitLab stand-in knows no such token');
      record.revoked = true;
      record.refresh_revoked = true;
    },
    revokeAuthorizedApplication(username, clientId = app.clientId) {
      const user = store.requireUser(username);
      const pairs = store.tokens.filter(
        (t) => t.kind === 'oauth' && t.user_id === user.id && t.application_id === clientId && !t.refresh_revoked,
      );
      for (const t of pairs) {
        t.revoked = true;
        t.refresh_revoked = true;
      }
      return pairs.length;
    },
    expireToken(token) {
      const record = store.findToken(token);
      if (!record) throw new Error('the GitLab stand-in knows no such token');
      record.expires_at =
        record.kind === 'pat'
          ? new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10)
          : new Date(Date.now() - 1000).toISOString();
    },
    mergeRequests: (path) => store.requireProject(path).merge_requests,
    issues: (path) => store.requireProject(path).issues,
    pushEvents: (path) => pushEvents.get(store.requireProject(path).id) ?? [],
    repoDir: (path) => store.requireProject(path).repo_dir,
    setMergeabilityDelay(ms) {
      store.mergeabilityDelayMs = ms;
    },
    holdMergeabilityChecks() {
      store.mergeabilityHeld = true;
      return () => {
        store.mergeabilityHeld = false;
        store.mergeabilitySteps = 0;
      };
    },
    stepMergeabilityCheck() {
      store.mergeabilitySteps++;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
