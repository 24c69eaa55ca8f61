import { z } from 'zod';

/**
 * What the credential gateway saw the agent do on GitLab during one run: the raw material for run
 * outputs. The same shapes are written line by line to the run's `gateway.log`, so the
 * record can be rebuilt from disk after a restart (`readGatewayLog`). Nothing here ever holds a
 * header or a body that could carry a credential.
 */

const at = z.string();

export const pushedRefSchema = z.object({
  at,
  projectPath: z.string(),
  ref: z.string(),
  /** The branch name when `ref` is under refs/heads/, else undefined (tags and other refs). */
  branch: z.string().optional(),
  oldSha: z.string(),
  newSha: z.string(),
  change: z.enum(['created', 'updated', 'deleted']),
  /** ok: GitLab accepted the update; rejected: GitLab refused it (protected branch, hook, HTTP error …). */
  result: z.enum(['ok', 'rejected', 'unknown']),
  reason: z.string().optional(),
});
export type PushedRef = z.infer<typeof pushedRefSchema>;

export const mergeRequestOpenedSchema = z.object({
  at,
  projectPath: z.string(),
  iid: z.number().int(),
  webUrl: z.string(),
  sourceBranch: z.string(),
  targetBranch: z.string(),
  title: z.string(),
});
export type MergeRequestOpened = z.infer<typeof mergeRequestOpenedSchema>;

export const issueFiledSchema = z.object({
  at,
  projectPath: z.string(),
  iid: z.number().int(),
  webUrl: z.string(),
  title: z.string(),
});
export type IssueFiled = z.infer<typeof issueFiledSchema>;

export const noteAddedSchema = z.object({
  at,
  projectPath: z.string(),
  noteableType: z.enum(['merge_request', 'issue']),
  noteableIid: z.number().int(),
  id: z.number().int(),
});
export type NoteAdded = z.infer<typeof noteAddedSchema>;

export const gatewayRequestSchema = z.object({
  at,
  method: z.string(),
  /** Path only (no query string): queries may carry tokens an agent tried to pass. */
  path: z.string(),
  kind: z.enum(['git', 'api', 'refused']),
  status: z.number().int(),
  durationMs: z.number(),
  reason: z.string().optional(),
});
export type GatewayRequest = z.infer<typeof gatewayRequestSchema>;

/**
 * Something the gateway refused because the product does not allow it (a push outside the run's
 * branch prefix, a push option, a quick action, a request aimed at another project …), as opposed
 * to a request GitLab itself refused. Shown in the run like a denied egress destination.
 */
export const gatewayRefusalSchema = z.object({
  at,
  kind: z.enum(['push', 'push_option', 'api', 'quick_action']),
  /** What was refused: a ref, a push option's key, "METHOD /path", a quick action's command. */
  target: z.string(),
  /** The message the agent was given. */
  reason: z.string(),
});
export type GatewayRefusal = z.infer<typeof gatewayRefusalSchema>;

export const gatewayRecordSchema = z.object({
  runId: z.string(),
  instanceUrl: z.string(),
  projectPaths: z.array(z.string()),
  pushes: z.array(pushedRefSchema),
  mergeRequests: z.array(mergeRequestOpenedSchema),
  issues: z.array(issueFiledSchema),
  notes: z.array(noteAddedSchema),
  requests: z.array(gatewayRequestSchema),
  refusals: z.array(gatewayRefusalSchema).default([]),
});
export type GatewayRecord = z.infer<typeof gatewayRecordSchema>;

/** The `message` of each gateway.log line that carries an event, mapped to its record list. */
export const LOG_EVENTS = {
  'gateway.push': 'pushes',
  'gateway.merge_request': 'mergeRequests',
  'gateway.issue': 'issues',
  'gateway.note': 'notes',
  'gateway.request': 'requests',
  'gateway.refusal': 'refusals',
} as const;
export type LogEvent = keyof typeof LOG_EVENTS;

export function emptyRecord(runId: string, instanceUrl: string, projectPaths: string[]): GatewayRecord {
  return {
    runId,
    instanceUrl,
    projectPaths,
    pushes: [],
    mergeRequests: [],
    issues: [],
    notes: [],
    requests: [],
    refusals: [],
  };
}
