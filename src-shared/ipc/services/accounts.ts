import { z } from 'zod';
import { method } from '../define';
import { AccountSchema, AccountWarningSchema, NetworkSettingsSchema } from '../../model/account';

export const ConnectWithTokenInputSchema = z.object({
  instanceUrl: z.string().min(1).max(2048),
  /** Write-only: accepted here, never returned by any call. */
  token: z.string().min(1).max(4096),
  allowHttp: z.boolean().default(false),
  network: NetworkSettingsSchema.optional(),
});
export type ConnectWithTokenInput = z.input<typeof ConnectWithTokenInputSchema>;

export const ConnectResultSchema = z.object({
  account: AccountSchema,
  warnings: z.array(AccountWarningSchema),
});
export type ConnectResult = z.infer<typeof ConnectResultSchema>;

export const BeginOAuthInputSchema = z.object({
  /** Defaults to https://gitlab.com. */
  instanceUrl: z.string().max(2048).optional(),
  /** 'auto' uses cospec:// when the scheme is registered, else a loopback redirect (RFC 8252). */
  redirect: z.enum(['auto', 'protocol', 'loopback']).default('auto'),
  network: NetworkSettingsSchema.optional(),
});
export type BeginOAuthInput = z.input<typeof BeginOAuthInputSchema>;

export const OAuthFlowSchema = z.object({
  flowId: z.string(),
  authorizeUrl: z.string().url(),
  redirectUri: z.string(),
  expiresAt: z.string().datetime(),
});
export type OAuthFlow = z.infer<typeof OAuthFlowSchema>;

export const accountsContract = {
  list: method({ args: z.tuple([]), result: z.array(AccountSchema), doc: 'All connected accounts, oldest first.' }),
  connectWithToken: method({
    args: z.tuple([ConnectWithTokenInputSchema]),
    result: ConnectResultSchema,
    doc: 'Validates a Personal Access Token against the instance and stores it securely.',
  }),
  beginOAuth: method({
    args: z.tuple([BeginOAuthInputSchema]),
    result: OAuthFlowSchema,
    doc: 'Starts OAuth with PKCE and opens the system browser at the authorize page.',
  }),
  waitForOAuth: method({
    args: z.tuple([z.string()]),
    result: ConnectResultSchema,
    doc: 'Resolves when the redirect for this flow arrives and the account is stored.',
  }),
  cancelOAuth: method({ args: z.tuple([z.string()]), result: z.undefined(), doc: 'Abandons a pending OAuth flow.' }),
  revalidate: method({
    args: z.tuple([z.string()]),
    result: AccountSchema,
    doc: 'Checks the token and the instance again and updates health.',
  }),
  updateNetwork: method({
    args: z.tuple([z.string(), NetworkSettingsSchema]),
    result: AccountSchema,
    doc: 'Replaces the CA and proxy settings of one account.',
  }),
  disconnect: method({
    args: z.tuple([z.string()]),
    result: z.undefined(),
    doc: 'Revokes (OAuth) and deletes the secrets and cached data of one account.',
  }),
};
