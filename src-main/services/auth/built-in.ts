import { z } from 'zod';

const BuiltIn = z.object({
  cospec: z.object({ gitlabComClientId: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/) }),
});

/**
 * The gitlab.com OAuth application id a vendor build carries in its package.json (put there at
 * packaging from COSPEC_GITLAB_OAUTH_CLIENT_ID, see resources/build/electron-builder.cjs); undefined
 * for builds without one or anything malformed.
 */
export function builtInGitLabComClientId(packageJson: unknown): string | undefined {
  const parsed = BuiltIn.safeParse(packageJson);
  return parsed.success ? parsed.data.cospec.gitlabComClientId : undefined;
}
