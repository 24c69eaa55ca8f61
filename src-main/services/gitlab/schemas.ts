import { z } from 'zod';

/** GET /api/v4/version */
export const VersionSchema = z.object({ version: z.string().min(1), revision: z.string().optional() });

/** GET /api/v4/user — only the fields coSPEC reads. */
export const UserSchema = z.object({
  id: z.number().int(),
  username: z.string().min(1),
  name: z.string(),
  avatar_url: z.string().nullable().optional(),
  web_url: z.string().nullable().optional(),
  state: z.string().optional(),
  /** Set by GitLab for the users it creates itself: project/group access-token bots and service accounts. */
  bot: z.boolean().optional(),
});
export type GitLabUser = z.infer<typeof UserSchema>;

/** GET /api/v4/personal_access_tokens/self (GitLab 15.5+). */
export const PersonalAccessTokenSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  revoked: z.boolean(),
  active: z.boolean(),
  scopes: z.array(z.string()),
  user_id: z.number().int().optional(),
  expires_at: z.string().nullable(),
});
export type PersonalAccessToken = z.infer<typeof PersonalAccessTokenSchema>;

/** GitLab's error bodies: Grape ({message}) and Doorkeeper ({error, error_description}). */
export const ErrorBodySchema = z
  .object({
    message: z.unknown().optional(),
    error: z.string().optional(),
    error_description: z.string().optional(),
    scope: z.string().optional(),
  })
  .partial();

/**
 * GitLab's project entity (GET /api/v4/projects, /projects/:id): the union of the fields coSPEC
 * reads. Fields only some readers use are optional here; each reader makes required what it needs
 * (`.required({...})`), so one shape serves the project list, the runs and the review.
 */
export const ApiProjectSchema = z.object({
  id: z.number().int(),
  path_with_namespace: z.string().optional(),
  name: z.string().optional(),
  description: z.string().nullable().optional(),
  default_branch: z.string().nullable().optional(),
  visibility: z.enum(['private', 'internal', 'public']).optional(),
  web_url: z.string().optional(),
  http_url_to_repo: z.string(),
  last_activity_at: z.string().optional(),
  archived: z.boolean().optional(),
  empty_repo: z.boolean().optional(),
  squash_option: z.string().optional(),
  remove_source_branch_after_merge: z.boolean().nullable().optional(),
  permissions: z
    .object({
      project_access: z.object({ access_level: z.number().int() }).nullable().optional(),
      group_access: z.object({ access_level: z.number().int() }).nullable().optional(),
    })
    .optional(),
});
