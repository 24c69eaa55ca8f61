import { z } from 'zod';
import { BranchPrefixSchema } from '../../model/push-scope';
import { CloneCacheMaxGbSchema } from '../../model/clone-cache';
import { method } from '../define';

/** A setting's effective value and whether the organization's policy decided it (the UI locks it then). */
const managed = <T extends z.ZodType>(value: T) => z.object({ value, managed: z.boolean() });

export const AgentInfoSchema = z.object({
  name: z.string(),
  label: z.string(),
  /** Model API domains added to the run's allowlist. */
  modelDomains: z.array(z.string()),
  /** The model key the agent needs, if any (its label; never the key). */
  modelKeyLabel: z.string().nullable(),
  /** Whether the organization's policy allows this agent. */
  allowed: z.boolean(),
  /** Whether its model key is in secure storage (the key itself never leaves main). */
  hasKey: z.boolean(),
});
export type AgentInfo = z.infer<typeof AgentInfoSchema>;

/** What the clone cache holds now. */
export const CloneCacheInfoSchema = z.object({
  bytes: z.number().nonnegative(),
  /** Projects with anything cached. */
  projects: z.number().int().nonnegative(),
  maxBytes: z.number().nonnegative(),
});
export type CloneCacheInfo = z.infer<typeof CloneCacheInfoSchema>;

export const SettingsViewSchema = z.object({
  policy: z.object({
    status: z.enum(['absent', 'active', 'invalid']),
    path: z.string(),
    problems: z.array(z.string()),
    managedInstances: z.array(
      z.object({ url: z.string(), oauth: z.boolean(), customCa: z.boolean(), proxy: z.boolean() }),
    ),
    otherInstancesAllowed: z.boolean(),
    gitlabComAllowed: z.boolean(),
  }),
  egress: z.object({
    /** Entries every run gets from the policy (cannot be removed). */
    forced: z.array(z.string()),
    /** The user's own entries. */
    user: z.array(z.string()),
    /** false when the policy forbids user additions. */
    userAdditionsAllowed: z.boolean(),
  }),
  sandbox: z.object({
    /** The engine the user chose (socket path or DOCKER_HOST-style URL); null = found automatically. */
    engine: z.string().nullable(),
    image: managed(z.string()),
    memoryMb: managed(z.number()),
    cpus: managed(z.number()),
    pidsLimit: managed(z.number()),
    timeoutMinutes: managed(z.number()),
  }),
  agents: z.object({ list: z.array(AgentInfoSchema), customCommandsAllowed: z.boolean() }),
  /** What the credential gateway lets agents push. */
  pushes: z.object({
    /** Agents push only to branches starting with this. */
    branchPrefix: managed(z.string()),
    /** The gateway adds ci.skip to every agent push (pipelines only when a person starts one). */
    ciSkip: managed(z.boolean()),
  }),
  updates: z.object({ checkAutomatically: managed(z.boolean()) }),
  /** The per-project clone cache's bound (its current size is asked separately: measuring it reads the disk). */
  cloneCache: z.object({ maxGb: z.number() }),
});
export type SettingsView = z.infer<typeof SettingsViewSchema>;

export const SettingsPatchSchema = z.strictObject({
  egressAllow: z
    .array(
      z
        .string()
        .trim()
        .min(1)
        .max(253)
        .regex(/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/i, 'a host name, "*.domain" or "host:port"'),
    )
    .max(200)
    .optional(),
  timeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  memoryMb: z.number().int().min(256).max(262_144).optional(),
  cpus: z.number().min(0.5).max(256).optional(),
  checkUpdatesAutomatically: z.boolean().optional(),
  branchPrefix: BranchPrefixSchema.optional(),
  ciSkip: z.boolean().optional(),
  /** The clone cache's bound on all projects together, in GiB. */
  cloneCacheMaxGb: CloneCacheMaxGbSchema.optional(),
  /** null goes back to finding the engine automatically. */
  containerSocket: z
    .string()
    .trim()
    .min(1)
    .max(1024)
    .regex(/^(\/|unix:\/\/|npipe:\/\/|tcp:\/\/|ssh:\/\/)/, 'a socket path or unix://, npipe://, tcp:// or ssh:// URL')
    .nullable()
    .optional(),
});
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const AgentKeyInputSchema = z.object({
  agent: z.string().min(1).max(64),
  /** Write-only; null removes the stored key. */
  key: z.string().trim().min(8).max(4096).nullable(),
});

export const EngineStatusSchema = z.object({
  ok: z.boolean(),
  engine: z.string().optional(),
  version: z.string().optional(),
  endpoint: z.string().optional(),
  /** Whether the sandbox base image is there. */
  image: z.boolean().optional(),
  /** What to do when something is missing. */
  message: z.string().optional(),
});
export type EngineStatus = z.infer<typeof EngineStatusSchema>;

export const settingsContract = {
  engineStatus: method({
    args: z.tuple([]),
    result: EngineStatusSchema,
    doc: 'Whether a container engine answers, which one, and whether the sandbox image is there.',
  }),
  get: method({
    args: z.tuple([]),
    result: SettingsViewSchema,
    doc: 'Effective settings, each marked when the organization manages it.',
  }),
  update: method({
    args: z.tuple([SettingsPatchSchema]),
    result: SettingsViewSchema,
    doc: 'Changes user settings; a setting the policy manages is refused with POLICY_FORBIDS.',
  }),
  cloneCache: method({
    args: z.tuple([]),
    result: CloneCacheInfoSchema,
    doc: 'The size of the per-project clone cache (repeat runs copy their workspace from it).',
  }),
  clearCloneCache: method({
    args: z.tuple([]),
    result: CloneCacheInfoSchema,
    doc: 'Empties the clone cache; a run copying from it finishes first, the next run refills it.',
  }),
  setAgentKey: method({
    args: z.tuple([AgentKeyInputSchema]),
    result: SettingsViewSchema,
    doc: 'Stores (or removes) an agent’s model API key in secure storage.',
  }),
};
