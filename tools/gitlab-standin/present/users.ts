import type { ExpandedUserSchema, PersonalAccessTokenSchema, SimpleUserSchema } from '@gitbeaker/rest';
import type { TokenRecord, UserRecord } from '../model';

/** Response builders typed against @gitbeaker's schemas, so a field GitLab has can't go missing unnoticed. */

export type BasicUser = Pick<SimpleUserSchema, 'id' | 'name' | 'username' | 'state' | 'avatar_url' | 'web_url'> & {
  locked: boolean;
};

export function basicUser(user: UserRecord, baseUrl: string): BasicUser {
  return {
    id: user.id,
    username: user.username,
    name: user.name,
    state: 'active',
    locked: false,
    avatar_url: `${baseUrl}/uploads/-/system/user/avatar/${user.id}/avatar.png`,
    web_url: `${baseUrl}/${user.username}`,
  };
}

/** GET /user: the current user, with the private fields only they (and admins) see. */
export function currentUser(user: UserRecord, baseUrl: string): ExpandedUserSchema {
  return {
    ...basicUser(user, baseUrl),
    created_at: user.created_at,
    bio: '',
    // GitLab sets bot only for users it creates itself (access-token bots, service accounts);
    // the dedicated cospec-bot an admin creates is a regular user.
    bot: false,
    location: null,
    public_email: null,
    skype: '',
    linkedin: '',
    twitter: '',
    discord: '',
    website_url: '',
    pronouns: null,
    organization: '',
    job_title: '',
    work_information: null,
    followers: 0,
    following: 0,
    local_time: null,
    is_followed: false,
    is_admin: user.is_admin,
    last_sign_in_at: user.created_at,
    confirmed_at: user.created_at,
    last_activity_on: user.created_at.slice(0, 10),
    email: user.email,
    theme_id: 1,
    color_scheme_id: 1,
    projects_limit: 100000,
    current_sign_in_at: user.created_at,
    note: null,
    identities: [],
    can_create_group: true,
    can_create_project: true,
    two_factor_enabled: false,
    external: false,
    private_profile: false as unknown as string,
    commit_email: user.email,
    preferred_language: 'en',
    namespace_id: user.id,
    created_by: null,
  };
}

/** GET /personal_access_tokens/self (and the list): never includes the token itself. */
export function personalAccessToken(
  t: TokenRecord,
  active: boolean,
): Pick<PersonalAccessTokenSchema, 'id' | 'name' | 'revoked' | 'created_at' | 'scopes' | 'user_id' | 'active'> & {
  // GitLab sends null for a token never used or without expiry; gitbeaker types them as strings.
  last_used_at: string | null;
  expires_at: string | null;
  description: string | null;
} {
  return {
    id: t.id,
    name: t.name,
    description: null,
    revoked: t.revoked,
    created_at: t.created_at,
    scopes: t.scopes,
    user_id: t.user_id,
    last_used_at: t.last_used_at,
    active,
    expires_at: t.expires_at,
  };
}
