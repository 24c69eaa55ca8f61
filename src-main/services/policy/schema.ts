import { z } from 'zod';
import { BranchPrefixSchema } from '../../../src-shared/model/push-scope';
import { parseAllowEntryOrReason } from '../sandbox/allowlist';

/**
 * The admin's managed policy (policy.json). Strict: an unknown key is an error, because a typo in
 * a security setting ("allowUserAdditon") must not be silently ignored.
 */
const HostPattern = z
  .string()
  .min(1)
  .max(260)
  .superRefine((text, ctx) => {
    // The proxy's own parser: what it would not apply (a typo, "*.com") is an error here, not a silent drop.
    const parsed = parseAllowEntryOrReason(text);
    if ('reason' in parsed) ctx.addIssue({ code: 'custom', message: parsed.reason });
  });

export const ManagedInstanceSchema = z.strictObject({
  url: z.string().url(),
  /** OAuth application id registered by the admin on that instance; enables "Connect Account" there. */
  oauthApplicationId: z.string().min(1).optional(),
  /** Extra CA certificates for this instance, inline PEM. */
  caCertificatesPem: z.string().includes('-----BEGIN CERTIFICATE-----').optional(),
  proxyUrl: z.string().url().optional(),
  noProxy: z.string().optional(),
});
export type ManagedInstance = z.infer<typeof ManagedInstanceSchema>;

export const PolicySchema = z.strictObject({
  version: z.literal(1),
  gitlab: z
    .strictObject({
      instances: z.array(ManagedInstanceSchema).default([]),
      /** false: only the instances listed above may be connected. */
      allowOtherInstances: z.boolean().default(true),
      /** false: gitlab.com may not be connected (unless listed in instances). */
      allowGitLabCom: z.boolean().default(true),
    })
    .optional(),
  egress: z
    .strictObject({
      /** Always on every run's allowlist. */
      allow: z.array(HostPattern).default([]),
      /** false: users cannot add their own allowlist entries. */
      allowUserAdditions: z.boolean().default(true),
      /**
       * true: users' entries may also name or resolve to loopback, private, link-local, CGNAT or
       * metadata addresses. The policy's own `allow` entries always may (the admin named them).
       */
      allowPrivateDestinations: z.boolean().default(false),
    })
    .optional(),
  sandbox: z
    .strictObject({
      /** Pins the sandbox image (name:tag or name@digest). */
      image: z.string().min(1).optional(),
      cpus: z.number().positive().max(256).optional(),
      memoryMb: z.number().int().min(128).optional(),
      pidsLimit: z.number().int().min(16).optional(),
      timeoutMinutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60)
        .optional(),
      /** Agent adapters users may run, by name (e.g. "claude-code", "sample"); absent = all. */
      allowedAgents: z.array(z.string().min(1)).optional(),
      /** false: the generic "run this command" agent is disabled. */
      allowCustomCommands: z.boolean().default(true),
    })
    .optional(),
  pushes: z
    .strictObject({
      /** Pins the prefix of the branches agents may push (e.g. "cospec/"); see gateway/push-scope.ts. */
      branchPrefix: BranchPrefixSchema.optional(),
      /** true: the gateway adds ci.skip to every agent push, so pipelines start only when a person starts them. */
      ciSkip: z.boolean().optional(),
    })
    .optional(),
  updates: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** A generic update feed URL replacing the default provider. */
      url: z.string().url().optional(),
    })
    .optional(),
});
export type Policy = z.infer<typeof PolicySchema>;
