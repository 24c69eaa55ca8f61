import { CospecError } from '../../../src-shared/ipc/errors';
import type { AccountWarning } from '../../../src-shared/model/account';
import {
  checkGitLabVersion,
  PersonalAccessTokenSchema,
  UserSchema,
  VersionSchema,
  type GitLabClient,
  type GitLabUser,
  type PersonalAccessToken,
} from '../gitlab';

export const REQUIRED_SCOPES = ['api', 'read_user'] as const;
const SOON_MS = 7 * 24 * 60 * 60 * 1000;
/** Scopes beyond what coSPEC needs that give a leaked token much more power. */
const POWERFUL_SCOPES = ['sudo', 'admin_mode'];

export interface TokenInspection {
  version: string;
  user: GitLabUser;
  pat?: PersonalAccessToken;
}

/**
 * The checks before a token is saved: the instance is a GitLab (GET /version) recent enough, the
 * token identifies a user (GET /user), and for a PAT its scopes, state and expiry
 * (GET /personal_access_tokens/self).
 */
export async function inspectToken(
  client: GitLabClient,
  token: string,
  kind: 'pat' | 'oauth',
  now: Date,
): Promise<TokenInspection> {
  const { version } = await client.json('/version', VersionSchema, { token });
  checkGitLabVersion(version, client.host);
  const user = await client.json('/user', UserSchema, { token });
  if (kind === 'oauth') return { version, user };
  const pat = await client.json('/personal_access_tokens/self', PersonalAccessTokenSchema, { token });
  assertUsablePat(pat, client.host, now);
  return { version, user, pat };
}

export function assertUsablePat(pat: PersonalAccessToken, host: string, now: Date): void {
  if (pat.revoked)
    throw new CospecError(
      'TOKEN_REVOKED',
      `The token "${pat.name}" on ${host} was revoked. Create a new one and paste it here.`,
    );
  if (isExpired(pat.expires_at, now) || !pat.active) {
    throw new CospecError(
      'TOKEN_EXPIRED',
      `The token "${pat.name}" on ${host} has expired. Create a new one with a later expiry date.`,
    );
  }
  const missing = REQUIRED_SCOPES.filter((s) => !pat.scopes.includes(s));
  if (missing.length > 0) {
    throw new CospecError(
      'MISSING_SCOPE',
      `The token "${pat.name}" lacks the scope${missing.length > 1 ? 's' : ''} ${missing.map((s) => `"${s}"`).join(' and ')}. Create a token with the scopes "api" and "read_user".`,
      `token scopes: ${pat.scopes.join(', ')}`,
    );
  }
}

function isExpired(expiresAt: string | null, now: Date): boolean {
  if (!expiresAt) return false;
  // A PAT's expires_at is a date; it stays valid through that day (UTC).
  const end = /^\d{4}-\d{2}-\d{2}$/.test(expiresAt) ? Date.parse(`${expiresAt}T23:59:59Z`) : Date.parse(expiresAt);
  return Number.isFinite(end) && end < now.getTime();
}

/**
 * Whether the account is a dedicated automation user. GitLab marks only the users it creates
 * itself (project/group access-token bots, service accounts) with `bot: true`; the dedicated user
 * the product docs recommend ("cospec-bot") is created by an admin as a regular user. So a user
 * name ending in "-bot", "_bot" or ".bot", or starting with "bot-"/"bot_", is taken as the admin's
 * stated intent. Names merely containing "bot" (e.g. "abbott") do not count.
 */
export function isBotAccount(user: Pick<GitLabUser, 'bot' | 'username'>): boolean {
  return user.bot === true || /(?:[-_.]bot$)|(?:^bot[-_])/i.test(user.username);
}

export function warningsFor(input: {
  user: GitLabUser;
  scopes: string[];
  expiresAt: string | null;
  kind: 'pat' | 'oauth';
  instanceUrl: string;
  now: Date;
}): AccountWarning[] {
  const warnings: AccountWarning[] = [];
  if (input.kind === 'pat') {
    if (input.expiresAt === null) {
      warnings.push({
        code: 'NO_EXPIRY',
        message: 'This token never expires. A token with an expiry date limits the damage if it leaks.',
      });
    } else {
      const end = Date.parse(
        /^\d{4}-\d{2}-\d{2}$/.test(input.expiresAt) ? `${input.expiresAt}T23:59:59Z` : input.expiresAt,
      );
      if (end - input.now.getTime() < SOON_MS) {
        warnings.push({
          code: 'TOKEN_EXPIRES_SOON',
          message: `This token expires on ${input.expiresAt.slice(0, 10)}. Create a new one before then and reconnect, or runs will fail.`,
        });
      }
    }
  }
  if (!isBotAccount(input.user)) {
    warnings.push({
      code: 'PERSONAL_ACCOUNT',
      message: `"${input.user.username}" looks like a personal account. A dedicated user such as cospec-bot keeps agent activity attributed and survives people leaving.`,
    });
  }
  if (input.instanceUrl.startsWith('http:')) {
    warnings.push({
      code: 'INSECURE_HTTP',
      message: 'This instance is reached over plain http: the token travels unencrypted.',
    });
  }
  const extra = input.scopes.filter((s) => POWERFUL_SCOPES.includes(s));
  if (extra.length > 0) {
    warnings.push({
      code: 'EXTRA_SCOPES',
      message: `The token also has ${extra.join(', ')}, which coSPEC does not need. A token with only "api" and "read_user" is safer.`,
    });
  }
  return warnings;
}
