import { randomBytes } from 'node:crypto';
import {
  ACCESS,
  inheritedMembers,
  pathWithNamespace,
  type AccessLevel,
  type GroupRecord,
  type ProjectRecord,
  type ProtectedBranchRecord,
  type TokenRecord,
  type UserRecord,
} from './model';

/** One global id sequence per kind, as GitLab's database tables have. */
class Ids {
  private readonly next = new Map<string, number>();
  /** Starts a sequence after `last`, as on an instance that has been in use for a while. */
  startAfter(kind: string, last: number): void {
    this.next.set(kind, Math.max(this.next.get(kind) ?? 0, last));
  }
  take(kind: string): number {
    const id = (this.next.get(kind) ?? 0) + 1;
    this.next.set(kind, id);
    return id;
  }
}

/** Everything the stand-in knows, in memory. Repositories live on disk (project.repo_dir). */
export class Store {
  readonly ids = new Ids();
  readonly users: UserRecord[] = [];
  readonly groups: GroupRecord[] = [];
  readonly projects: ProjectRecord[] = [];
  readonly tokens: TokenRecord[] = [];
  /**
   * How long each background phase of GitLab's mergeability check lasts (preparing a new MR,
   * checking after a push). 0 finishes every phase as soon as something reads the MR.
   */
  mergeabilityDelayMs = 0;
  /** Test control: while true, no background phase ends, whatever its time (see api/mergeability.ts). */
  mergeabilityHeld = false;
  /** Test control: while held, how many background phases may still end, one per step. */
  mergeabilitySteps = 0;

  constructor(readonly now: () => Date = () => new Date()) {}

  nowIso(): string {
    return this.now().toISOString();
  }

  userByName(username: string): UserRecord | undefined {
    return this.users.find((u) => u.username.toLowerCase() === username.toLowerCase());
  }

  userById(id: number): UserRecord | undefined {
    return this.users.find((u) => u.id === id);
  }

  requireUser(username: string): UserRecord {
    const user = this.userByName(username);
    if (!user) throw new Error(`the GitLab stand-in has no user "${username}"`);
    return user;
  }

  /** By numeric id or full path (already URL-decoded), as GitLab's `:id` accepts both. */
  projectByRef(ref: string): ProjectRecord | undefined {
    if (/^\d+$/.test(ref)) return this.projects.find((p) => p.id === Number(ref));
    const wanted = ref.replace(/\.git$/, '').toLowerCase();
    return this.projects.find((p) => pathWithNamespace(p).toLowerCase() === wanted);
  }

  requireProject(path: string): ProjectRecord {
    const project = this.projectByRef(path);
    if (!project) throw new Error(`the GitLab stand-in has no project "${path}"`);
    return project;
  }

  /** The effective level: admins act as owners; otherwise the higher of group and project membership. */
  accessLevel(user: UserRecord | undefined, project: ProjectRecord): AccessLevel | 0 {
    if (!user) return ACCESS.none;
    if (user.is_admin) return ACCESS.owner;
    return Math.max(inheritedMembers(project.group).get(user.id) ?? 0, project.members.get(user.id) ?? 0) as
      AccessLevel | 0;
  }

  /** Whether the user may see the project at all (member, or an internal/public project). */
  canSee(user: UserRecord | undefined, project: ProjectRecord): boolean {
    if (project.visibility === 'public') return true;
    if (!user) return false;
    if (project.visibility === 'internal') return true;
    return this.accessLevel(user, project) > 0;
  }

  /** The protection rule that applies to a branch (exact name first, then wildcards). */
  protectionFor(project: ProjectRecord, branch: string): ProtectedBranchRecord | undefined {
    return (
      project.protected_branches.find((p) => p.name === branch) ??
      project.protected_branches.find((p) => p.name.includes('*') && wildcard(p.name).test(branch))
    );
  }

  issuePat(
    user: UserRecord,
    options: { name?: string; scopes: string[]; expiresAt: string | null; revoked?: boolean },
  ): TokenRecord {
    const record: TokenRecord = {
      id: this.ids.take('token'),
      kind: 'pat',
      token: `glpat-${randomToken(20)}`,
      user_id: user.id,
      name: options.name ?? `token-${user.username}`,
      scopes: [...options.scopes],
      expires_at: options.expiresAt,
      revoked: options.revoked ?? false,
      created_at: this.nowIso(),
      last_used_at: null,
    };
    this.tokens.push(record);
    return record;
  }

  /** An OAuth access token with its refresh token, valid 2 hours like GitLab's. */
  issueOAuth(user: UserRecord, scopes: string[], applicationId: string): TokenRecord {
    const record: TokenRecord = {
      id: this.ids.take('token'),
      kind: 'oauth',
      token: randomToken(64, 'hex'),
      user_id: user.id,
      name: 'oauth',
      scopes: [...scopes],
      expires_at: new Date(this.now().getTime() + OAUTH_TOKEN_LIFETIME_S * 1000).toISOString(),
      revoked: false,
      created_at: this.nowIso(),
      last_used_at: null,
      refresh_token: randomToken(64, 'hex'),
      refresh_revoked: false,
      application_id: applicationId,
    };
    this.tokens.push(record);
    return record;
  }

  findToken(token: string): TokenRecord | undefined {
    return this.tokens.find((t) => t.token === token);
  }

  /** Whether a token is past its expiry (a PAT stays valid through its expiry date, UTC). */
  isExpired(record: TokenRecord): boolean {
    if (!record.expires_at) return false;
    const end = /^\d{4}-\d{2}-\d{2}$/.test(record.expires_at)
      ? Date.parse(`${record.expires_at}T23:59:59.999Z`)
      : Date.parse(record.expires_at);
    return end < this.now().getTime();
  }
}

export const OAUTH_TOKEN_LIFETIME_S = 7200;

export function randomToken(length: number, alphabet: 'base62' | 'hex' = 'base62'): string {
  if (alphabet === 'hex')
    return randomBytes(Math.ceil(length / 2))
      .toString('hex')
      .slice(0, length);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(length)].map((b) => chars[b % chars.length]).join('');
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}
