import { z } from 'zod';

/** Network settings of one account, applied to every call it makes: API, git and OAuth. */
export const NetworkSettingsSchema = z.object({
  /** Extra CA certificates (PEM), added to the system store for this account only. */
  caCertificatesPem: z.string().max(1_000_000).optional(),
  /** Whether the OS/system CA store is trusted as well (default true). */
  useSystemCa: z.boolean().default(true),
  /** An explicit proxy; when absent, HTTPS_PROXY/NO_PROXY and the OS proxy apply. */
  proxyUrl: z.string().url().optional(),
  noProxy: z.string().optional(),
});
export type NetworkSettings = z.infer<typeof NetworkSettingsSchema>;

export const AuthMethodSchema = z.enum(['oauth', 'pat']);
export type AuthMethod = z.infer<typeof AuthMethodSchema>;

export const AccountHealthSchema = z.object({
  status: z.enum(['ok', 'warning', 'error', 'unknown']),
  /** A code from the error envelope when status is error. */
  code: z.string().optional(),
  message: z.string().optional(),
  checkedAt: z.string().datetime().optional(),
  /**
   * The saved credentials are dead for good (refresh refused, token expired or revoked): only
   * signing in again (OAuth) or a new token (PAT) brings the account back.
   */
  signInAgain: z.boolean().optional(),
});
export type AccountHealth = z.infer<typeof AccountHealthSchema>;

export const AccountWarningSchema = z.object({
  code: z.enum(['TOKEN_EXPIRES_SOON', 'PERSONAL_ACCOUNT', 'NO_EXPIRY', 'INSECURE_HTTP', 'EXTRA_SCOPES']),
  message: z.string(),
});
export type AccountWarning = z.infer<typeof AccountWarningSchema>;

/** A connected GitLab account as the renderer sees it: never a token. */
export const AccountSchema = z.object({
  id: z.string(),
  /** Normalised base URL, e.g. https://gitlab.com or https://host/gitlab (no trailing slash). */
  instanceUrl: z.string(),
  host: z.string(),
  authMethod: AuthMethodSchema,
  userId: z.number().int(),
  username: z.string(),
  name: z.string(),
  avatarUrl: z.string().nullable(),
  webUrl: z.string().nullable(),
  isBot: z.boolean(),
  scopes: z.array(z.string()),
  /** ISO date (PAT) or datetime (OAuth access token); null when the token never expires. */
  expiresAt: z.string().nullable(),
  gitlabVersion: z.string().nullable(),
  network: NetworkSettingsSchema,
  health: AccountHealthSchema,
  warnings: z.array(AccountWarningSchema),
  connectedAt: z.string().datetime(),
  /** True when the admin's managed policy defines this instance. */
  managed: z.boolean().default(false),
});
export type Account = z.infer<typeof AccountSchema>;
