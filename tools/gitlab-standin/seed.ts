import { join } from 'node:path';
import { createEmptyRepo, createFillerRepo, createSeededRepo, type SeedCommit } from './git/seed-repo';
import {
  ACCESS,
  namespacePath,
  type AccessLevel,
  type GroupRecord,
  type ProjectRecord,
  type UserRecord,
} from './model';
import { realInstanceShapes } from './seed-shapes';
import type { Store } from './store';

/** Seed users: who they are and what they may do. Passwords are for the consent page and git Basic auth. */
const USERS = [
  { username: 'root', name: 'Administrator', role: 'admin', admin: true, bot: false },
  {
    username: 'cospec-bot',
    name: 'coSPEC Bot',
    role: 'bot (Developer on acme/*, Reporter on tools/cli)',
    admin: false,
    bot: true,
  },
  {
    username: 'alice',
    name: 'Alice Maintainer',
    role: 'Maintainer on acme/*, Developer on tools/*',
    admin: false,
    bot: false,
  },
  { username: 'maya', name: 'Maya Developer', role: 'Developer on acme/*', admin: false, bot: false },
  { username: 'rita', name: 'Rita Reporter', role: 'Reporter on acme/*', admin: false, bot: false },
  { username: 'gus', name: 'Gus Guest', role: 'Guest on acme/*', admin: false, bot: false },
] as const;

export interface SeedTokens {
  expired: string;
  revoked: string;
  readUserOnly: string;
  expiringSoon: string;
  noExpiry: string;
}

const DAY = 24 * 60 * 60 * 1000;
const day = (from: Date, days: number) => new Date(from.getTime() + days * DAY).toISOString().slice(0, 10);
export const passwordFor = (username: string) => `${username}-password-1`;
const FULL_SCOPES = ['api', 'read_user', 'read_repository', 'write_repository'];

export async function seed(store: Store, reposDir: string): Promise<SeedTokens> {
  const created = '2024-01-15T09:00:00.000Z';
  for (const u of USERS) {
    const user: UserRecord = {
      id: store.ids.take('user'),
      username: u.username,
      name: u.name,
      email: `${u.username}@example.com`,
      password: passwordFor(u.username),
      is_admin: u.admin,
      dedicated_bot: u.bot,
      role: u.role,
      created_at: created,
    };
    store.users.push(user);
    store.issuePat(user, { name: `${u.username}-main`, scopes: FULL_SCOPES, expiresAt: day(store.now(), 365) });
  }
  const [root, bot, alice, maya, rita, gus] = USERS.map((u) => store.requireUser(u.username)) as [
    UserRecord,
    UserRecord,
    UserRecord,
    UserRecord,
    UserRecord,
    UserRecord,
  ];

  const acme = group(store, 'acme', 'Acme', [
    [root, ACCESS.owner],
    [bot, ACCESS.developer],
    [alice, ACCESS.maintainer],
    [maya, ACCESS.developer],
    [rita, ACCESS.reporter],
    [gus, ACCESS.guest],
  ]);
  const tools = group(store, 'tools', 'Tools', [
    [root, ACCESS.owner],
    [alice, ACCESS.developer],
  ]);

  const people = { root, alice, maya };
  const sig = (u: UserRecord) => ({ name: u.name, email: u.email });
  // Ids are taken in a fixed order; the repositories are written concurrently afterwards.
  const writes: Array<() => Promise<void>> = [];
  const add = (
    g: GroupRecord,
    path: string,
    options: Partial<ProjectRecord>,
    history: SeedCommit[] | 'filler' | 'empty',
  ) => {
    const project: ProjectRecord = {
      id: store.ids.take('project'),
      name: path.replace(/-/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase()),
      path,
      group: g,
      description: null,
      default_branch: 'main',
      visibility: 'private',
      archived: false,
      members: new Map(),
      protected_branches: [],
      created_at: created,
      last_activity_at: created,
      creator_id: root.id,
      merge_requests: [],
      issues: [],
      repo_dir: join(reposDir, ...namespacePath(g).split('/'), `${path}.git`),
      squash_option: 'default_off',
      ...options,
    };
    writes.push(() =>
      history === 'filler'
        ? createFillerRepo(project.repo_dir, sig(root))
        : history === 'empty'
          ? createEmptyRepo(project.repo_dir)
          : createSeededRepo(project.repo_dir, project.default_branch ?? 'main', history),
    );
    store.projects.push(project);
    return project;
  };
  const protect = (p: ProjectRecord, name: string, push: AccessLevel, merge: AccessLevel) =>
    p.protected_branches.push({
      id: store.ids.take('protected_branch'),
      name,
      push_access_level: push,
      merge_access_level: merge,
      allow_force_push: false,
    });

  // acme/web-app: the main demo project. main is protected (Maintainers push, Developers may merge MRs).
  const webApp = add(acme, 'web-app', { description: 'The Acme storefront.' }, webAppHistory(people, sig));
  protect(webApp, 'main', ACCESS.maintainer, ACCESS.developer);
  const api = add(acme, 'api-service', { description: 'Acme public API.' }, apiHistory(people, sig));
  protect(api, 'main', ACCESS.maintainer, ACCESS.maintainer);
  protect(api, 'release/*', ACCESS.maintainer, ACCESS.maintainer);
  add(
    acme,
    'unprotected-lib',
    { description: 'A library whose default branch is not protected.' },
    libHistory(people, sig),
  );
  const cli = add(
    tools,
    'cli',
    { description: 'Internal command line tools.', members: new Map([[bot.id, ACCESS.reporter]]) },
    cliHistory(people, sig),
  );
  protect(cli, 'main', ACCESS.maintainer, ACCESS.maintainer);
  const secret = add(
    tools,
    'secret',
    { description: 'Nobody but tool maintainers may see this.', members: new Map([[alice.id, ACCESS.maintainer]]) },
    [
      {
        branch: 'main',
        author: sig(alice),
        time: 1_705_000_000,
        message: 'Keep the secrets here\n',
        files: { 'README.md': '# Secret\n' },
      },
    ],
  );
  protect(secret, 'main', ACCESS.maintainer, ACCESS.maintainer);
  // Filler so that project lists span several pages; one is public, one archived.
  for (let i = 1; i <= 30; i++) {
    const n = String(i).padStart(2, '0');
    const p = add(
      acme,
      `service-${n}`,
      { description: `Filler service ${n}.`, visibility: i === 7 ? 'public' : 'private', archived: i === 30 },
      'filler',
    );
    p.created_at = new Date(Date.parse(created) + i * DAY).toISOString();
    p.last_activity_at = p.created_at;
    protect(p, 'main', ACCESS.maintainer, ACCESS.maintainer);
  }

  // What real instances have besides: nested subgroups, a long path, a user's namespace, an empty
  // repository, and issues and MRs whose global ids are far from their iids.
  const shaped = realInstanceShapes(store, { add, protect, group, people: { root, bot, alice, maya }, sig });

  await runLimited(writes, 6);
  await shaped.afterRepositories();

  const now = store.now();
  const tokens = {
    expired: store.issuePat(bot, { name: 'expired', scopes: FULL_SCOPES, expiresAt: day(now, -2) }).token,
    revoked: store.issuePat(bot, { name: 'revoked', scopes: FULL_SCOPES, expiresAt: day(now, 30), revoked: true })
      .token,
    readUserOnly: store.issuePat(bot, { name: 'read-user-only', scopes: ['read_user'], expiresAt: day(now, 30) }).token,
    expiringSoon: store.issuePat(bot, { name: 'expiring-soon', scopes: FULL_SCOPES, expiresAt: day(now, 3) }).token,
    noExpiry: store.issuePat(bot, { name: 'no-expiry', scopes: FULL_SCOPES, expiresAt: null }).token,
  };
  return tokens;
}

async function runLimited(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

export function group(
  store: Store,
  path: string,
  name: string,
  members: Array<[UserRecord, AccessLevel]>,
  options: { parent?: GroupRecord; kind?: 'group' | 'user' } = {},
): GroupRecord {
  const g: GroupRecord = {
    id: store.ids.take('namespace'),
    path,
    name,
    kind: options.kind ?? 'group',
    parent: options.parent ?? null,
    members: new Map(members.map(([u, level]) => [u.id, level])),
  };
  store.groups.push(g);
  return g;
}

type People = { root: UserRecord; alice: UserRecord; maya: UserRecord };
type Sig = (u: UserRecord) => { name: string; email: string };
const T0 = 1_704_067_200; // 2024-01-01

function webAppHistory({ root, alice, maya }: People, sig: Sig): SeedCommit[] {
  return [
    {
      branch: 'main',
      author: sig(root),
      time: T0,
      message: 'Initial commit\n',
      files: {
        'README.md': '# Web app\n\nThe Acme storefront.\n',
        'package.json': '{\n  "name": "web-app",\n  "version": "1.0.0"\n}\n',
      },
    },
    {
      branch: 'main',
      author: sig(alice),
      time: T0 + 3600,
      message: 'Add the app entry point\n',
      files: {
        'src/index.js': "import { start } from './app.js';\n\nstart();\n",
        'src/app.js': "export function start() {\n  console.log('hello');\n}\n",
      },
    },
    {
      branch: 'main',
      author: sig(maya),
      time: T0 + 7200,
      message: 'Greet by name\n\nThe greeting now names the visitor.\n',
      files: { 'src/app.js': "export function start(name = 'world') {\n  console.log(`hello ${name}`);\n}\n" },
    },
    {
      branch: 'feature/login',
      from: 'main',
      author: sig(maya),
      time: T0 + 10800,
      message: 'Add a login form\n',
      files: { 'src/login.js': 'export const login = () => true;\n' },
    },
    {
      branch: 'feature/conflict',
      from: 'main',
      author: sig(maya),
      time: T0 + 12000,
      message: 'Change the title (conflicts with main)\n',
      files: { 'README.md': '# Web shop\n\nConflicting title.\n' },
    },
    {
      branch: 'main',
      author: sig(alice),
      time: T0 + 14400,
      message: 'Document how to run it\n',
      files: { 'README.md': '# Web app\n\nThe Acme storefront.\n\nRun `npm start`.\n' },
    },
  ];
}

function apiHistory({ root, alice }: People, sig: Sig): SeedCommit[] {
  return [
    {
      branch: 'main',
      author: sig(root),
      time: T0 + 100,
      message: 'Initial commit\n',
      files: { 'README.md': '# API service\n', 'server.py': 'print("api")\n' },
    },
    {
      branch: 'main',
      author: sig(alice),
      time: T0 + 5000,
      message: 'Add health endpoint\n',
      files: { 'health.py': 'def health():\n    return "ok"\n' },
    },
    {
      branch: 'develop',
      from: 'main',
      author: sig(alice),
      time: T0 + 9000,
      message: 'Start v2\n',
      files: { VERSION: '2.0.0-dev\n' },
    },
    {
      branch: 'release/1.0',
      from: 'main',
      author: sig(alice),
      time: T0 + 9500,
      message: 'Release 1.0\n',
      files: { VERSION: '1.0.0\n' },
    },
  ];
}

function libHistory({ alice, maya }: People, sig: Sig): SeedCommit[] {
  return [
    {
      branch: 'main',
      author: sig(alice),
      time: T0 + 200,
      message: 'Initial commit\n',
      files: { 'README.md': '# Unprotected lib\n', 'lib.js': 'module.exports = {};\n' },
    },
    {
      branch: 'main',
      author: sig(maya),
      time: T0 + 6000,
      message: 'Export add()\n',
      files: { 'lib.js': 'module.exports = { add: (a, b) => a + b };\n' },
    },
  ];
}

function cliHistory({ root }: People, sig: Sig): SeedCommit[] {
  return [
    {
      branch: 'main',
      author: sig(root),
      time: T0 + 300,
      message: 'Initial commit\n',
      files: { 'README.md': '# CLI\n', 'cli.sh': '#!/bin/sh\necho cli\n' },
    },
    {
      branch: 'main',
      author: sig(root),
      time: T0 + 7000,
      message: 'Add --help\n',
      files: { 'cli.sh': '#!/bin/sh\n[ "$1" = --help ] && echo usage\necho cli\n' },
    },
  ];
}
