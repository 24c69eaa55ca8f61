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
});

/** What the credential gateway refused because the product does not allow it, grouped by target. */
export const GatewayRefusalSummarySchema = z.object({
  kind: z.enum(['push', 'push_option', 'api', 'quick_action']),
  target: z.string(),
  reason: z.string(),
  count: z.number().int(),
});
export type GatewayRefusalSummary = z.infer<typeof GatewayRefusalSummarySchema>;

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
});
export type RunRecord = z.infer<typeof RunRecordSchema>;
