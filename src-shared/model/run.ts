import { z } from 'zod';

export const AgentChoiceSchema = z.discriminatedUnion('kind', [
  /** A known agent CLI adapter (claude-code, codex, aider, sample). */
  z.object({ kind: z.literal('adapter'), name: z.string().min(1).max(64) }),
  /** A generic "run this command" agent; runs with sh -c inside the sandbox. */
  z.object({ kind: z.literal('command'), command: z.string().min(1).max(10_000) }),
]);
export type AgentChoice = z.infer<typeof AgentChoiceSchema>;

export const RunSpecSchema = z.object({
  accountId: z.string().min(1),
  /** GROUP/PROJECT (any depth of subgroups). */
  projectPath: z.string().regex(/^[\w.-]+(\/[\w.-]+)+$/, 'a project path like group/project'),
  /** The default branch when absent. */
  branch: z.string().min(1).max(255).optional(),
  task: z.string().min(1).max(100_000),
  agent: AgentChoiceSchema,
  /** Extra egress destinations for this run only (host, *.domain or host:port). */
  allow: z.array(z.string().min(1).max(253)).max(100).default([]),
  timeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  /** The run this one continues (a follow-up on the same branch and merge request). */
  continues: z.string().min(1).max(64).optional(),
});
export type RunSpec = z.infer<typeof RunSpecSchema>;
export type RunSpecInput = z.input<typeof RunSpecSchema>;

export const RunStateSchema = z.enum([
  'queued',
  'preparing',
  'cloning',
  'running',
  'collecting',
  'succeeded',
  'failed',
  'cancelled',
  'interrupted',
]);
export type RunState = z.infer<typeof RunStateSchema>;
export const TERMINAL_RUN_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled', 'interrupted'];

export const RunOutputSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('branch'),
    name: z.string(),
    sha: z.string().nullable(),
    change: z.enum(['created', 'updated', 'deleted']),
    webUrl: z.string().nullable(),
    /** The commits the run added to this branch, newest first. */
    commits: z.array(z.object({ sha: z.string(), title: z.string(), webUrl: z.string().nullable() })),
  }),
  z.object({
    kind: z.literal('merge_request'),
    iid: z.number().int(),
    title: z.string(),
    sourceBranch: z.string(),
    targetBranch: z.string(),
    state: z.string(),
    pipelineStatus: z.string().nullable(),
    webUrl: z.string(),
    /** 'updated': the MR existed before the run, which pushed new commits to its source branch (a follow-up). Absent: opened by the run. */
    change: z.enum(['opened', 'updated']).optional(),
  }),
  z.object({
    kind: z.literal('issue'),
    iid: z.number().int(),
    title: z.string(),
    state: z.string(),
    webUrl: z.string(),
  }),
]);
export type RunOutput = z.infer<typeof RunOutputSchema>;

export const EgressAttemptSummarySchema = z.object({
  destination: z.string(),
  verdict: z.enum(['allowed', 'denied']),
  reason: z.string().optional(),
  count: z.number().int(),
  /** Which requests asked ("GET http://host/path", "CONNECT host:443"), a few distinct ones. */
  requests: z.array(z.string()).max(20).optional(),
  /** Denied only because no allowlist entry names it, so allowing it would let it through. */
  allowable: z.boolean().optional(),
});

/** What the credential gateway refused because the product does not allow it, grouped by target. */
export const GatewayRefusalSummarySchema = z.object({
  kind: z.enum(['push', 'push_option', 'api', 'quick_action']),
  target: z.string(),
  reason: z.string(),
  count: z.number().int(),
});
export type GatewayRefusalSummary = z.infer<typeof GatewayRefusalSummarySchema>;

/** The model APIs coSPEC's model gateway serves to agents (the key is added outside the sandbox). */
export const ModelApiSchema = z.enum(['anthropic', 'openai']);
export type ModelApi = z.infer<typeof ModelApiSchema>;

/**
 * What a run's model calls cost, as the APIs reported it, per API and model. Input tokens count
 * every input token the call processed (for Anthropic: plain, cache writes and cache reads), of
 * which `cachedInputTokens` were read from the prompt cache.
 */
export const ModelUsageEntrySchema = z.object({
  api: ModelApiSchema,
  /** The model the API said answered; empty when the response did not say (errors). */
  model: z.string(),
  requests: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedInputTokens: z.number().int(),
});
export type ModelUsageEntry = z.infer<typeof ModelUsageEntrySchema>;

/** Model API requests the gateway refused (a path or method the agent needs no access to), grouped. */
export const ModelRefusalSummarySchema = z.object({
  api: z.string(),
  target: z.string(),
  reason: z.string(),
  count: z.number().int(),
});

export const ModelUsageSchema = z.object({
  calls: z.array(ModelUsageEntrySchema),
  refused: z.array(ModelRefusalSummarySchema),
});
export type ModelUsage = z.infer<typeof ModelUsageSchema>;

export const RunRecordSchema = z.object({
  id: z.string(),
  spec: RunSpecSchema,
  state: RunStateSchema,
  /** Human text for the current state, e.g. "Receiving objects 42%" or why it failed. */
  detail: z.string().optional(),
  progress: z.number().min(0).max(100).optional(),
  instanceUrl: z.string(),
  projectWebUrl: z.string().nullable(),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
  endedAt: z.string().datetime().optional(),
  exitCode: z.number().int().optional(),
  /** The commit the run's clone started from (read before the agent ran); new branches' commits are counted from it. */
  baseSha: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  transitions: z.array(z.object({ state: RunStateSchema, at: z.string().datetime() })),
  allowlist: z.array(z.string()),
  egress: z.array(EgressAttemptSummarySchema),
  /** Pushes and API calls the gateway refused (not GitLab). */
  refusals: z.array(GatewayRefusalSummarySchema).default([]),
  outputs: z.array(RunOutputSchema),
  /** The run's model calls through the model gateway (absent for agents that call no model API). */
  modelUsage: ModelUsageSchema.optional(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;
