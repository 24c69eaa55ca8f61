import { z } from 'zod';

/**
 * The branch prefix an agent's pushes are confined to (the credential gateway refuses any other
 * branch it did not inherit). One definition for the user's setting, the admin's policy and the
 * settings screen: a path of plain branch-name segments ending in "/", so "cospec/" or
 * "agents/cospec/", never "" (every branch) or a bare word that would also match "cospec-main".
 */
export const DEFAULT_BRANCH_PREFIX = 'cospec/';

export const BranchPrefixSchema = z
  .string()
  .trim()
  .min(2)
  .max(100)
  .regex(
    /^([A-Za-z0-9_-][A-Za-z0-9._-]*\/)+$/,
    'a branch prefix like "cospec/": letters, digits, ".", "_", "-", segments separated by "/", ending in "/"',
  )
  .refine((s) => !s.includes('..') && !/\.lock\//.test(s) && !/\.\//.test(s), 'a branch prefix git accepts');
