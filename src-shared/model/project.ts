import { z } from 'zod';

/** A GitLab project the account can work on (Developer access or higher). */
export const ProjectSchema = z.object({
  accountId: z.string(),
  id: z.number().int(),
  pathWithNamespace: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  defaultBranch: z.string().nullable(),
  visibility: z.enum(['private', 'internal', 'public']),
  webUrl: z.string(),
  httpUrlToRepo: z.string(),
  lastActivityAt: z.string(),
  accessLevel: z.number().int(),
  /** null while unknown (not yet checked); the UI warns on false. */
  defaultBranchProtected: z.boolean().nullable(),
  /** Where to change branch protection in GitLab. */
  protectionSettingsUrl: z.string(),
  /** Archived on GitLab: read-only there (pushes and writes refused), so runs on it are refused. */
  archived: z.boolean().default(false),
});
export type Project = z.infer<typeof ProjectSchema>;

export const ProjectListSchema = z.object({
  accountId: z.string(),
  projects: z.array(ProjectSchema),
  fetchedAt: z.string().datetime().nullable(),
  /** True while a background refresh is under way. */
  refreshing: z.boolean(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  /** While the refresh waits out GitLab's rate limit: until when, so the screen can count down. */
  rateLimitedUntil: z.string().datetime().optional(),
});
export type ProjectList = z.infer<typeof ProjectListSchema>;
