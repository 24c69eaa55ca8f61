import type { RunRecord, RunSpec } from '../../../src-shared/model/run';
import type { GatewayRecord } from '../gateway';

/** The folders of one run the sandbox writes to: the run's folder (gateway logs), the egress log, the workspace. */
export interface SandboxRunPaths {
  dir: string;
  egressLog: string;
  workspace: string;
}

/** What one agent run in the sandbox needs: its image, folders, destinations, project, task and limits. */
export interface ExecuteRequest {
  runId: string;
  paths: SandboxRunPaths;
  image: string;
  allowlist: string[];
  /** The run's GitLab project, as far as the container's environment and the credential gateway need it. */
  project: { instanceUrl: string; projectId: number };
  spec: RunSpec;
  timeoutMs: number;
  onLog(line: string): void;
  signal: AbortSignal;
  /**
   * Settles when the workspace is ready (the run's clone). Meanwhile the sandbox sets up what does
   * not need it (run files, gateways, the egress route); it hands the workspace over and starts the
   * container only after this resolved, and fails with its error if it rejects.
   */
  workspaceReady?: Promise<unknown>;
}

export interface ExecuteResult {
  exitCode: number;
  /** Why the agent stopped when it was not a normal exit (timeout, out of memory). */
  reason?: string;
  egress: RunRecord['egress'];
  /** The credential gateway's record of what the agent did on GitLab (none when no gateway ran). */
  gatewayRecord: GatewayRecord | undefined;
  /** What the agent's model calls cost, from the model gateway (agents that call a model API). */
  modelUsage?: RunRecord['modelUsage'];
}
